/** A local (or mounted) directory as backup storage: objects are files, written as `.partial` and renamed when complete. */
import { createReadStream, createWriteStream } from 'node:fs';
import { chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { PreflightError } from '../../src/core/errors.js';
import type { BackupStorage, PutStreamOptions, StoredObject } from './types.js';

const PARTIAL = '.partial';

const osErrorLabels: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EIO: 'input/output error',
};

/** Every failure of the storage directory as E_STORAGE naming the file:// URL and the OS error. */
export function toFileStorageError(error: unknown, action: string, path: string): PreflightError {
  if (error instanceof PreflightError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const what = code
    ? `${code} (${osErrorLabels[code] ?? 'error'})`
    : String((error as Error)?.message ?? error);
  return new PreflightError('E_STORAGE', `Storage ${pathToFileURL(path).href}: ${what} while ${action}`, {
    cause: error,
    hint:
      code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG'
        ? 'free space on that filesystem or point the storage elsewhere (--storage, targets.<t>.backup.storage)'
        : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
          ? 'the storage directory must be writable by this user (check the mount and the permissions)'
          : 'check the storage URL (--storage, targets.<t>.backup.storage)',
    details: { osError: code },
  });
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT where the filesystem said EROFS or
 * EACCES, so the first missing level is created on its own to get the OS error.
 */
async function makeDirectory(path: string, root: string): Promise<void> {
  try {
    const first = await mkdir(path, { recursive: true });
    if (first !== undefined) await adoptRootOwner(first, path, root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = path;
    while (dirname(missing) !== missing && !(await isPresent(dirname(missing)))) missing = dirname(missing);
    await mkdir(missing);
    throw error;
  }
}

/**
 * When preflight runs as root, the directories it creates take the owner of the storage root: PostgreSQL's
 * archive_command (`preflight wal push`, run as the server's user) must still be able to write beside a root-run
 * `backup run`/`backup base` in the same storage.
 */
async function adoptRootOwner(first: string, path: string, root: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await stat(root);
  if (owner.uid === 0 && owner.gid === 0) return;
  const levels: string[] = [];
  for (let dir = path; dir.length >= first.length; dir = dirname(dir)) {
    levels.push(dir);
    if (dir === first || dirname(dir) === dir) break;
  }
  for (const dir of levels.reverse()) await chown(dir, owner.uid, owner.gid);
}

const isPresent = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export function createFileStorage(root: string): BackupStorage {
  const pathOf = (key: string) => join(root, ...key.split('/'));
  return {
    displayUrl: pathToFileURL(root).href,
    async putStream(key, body, options: PutStreamOptions = {}) {
      const path = pathOf(key);
      const partial = `${path}${PARTIAL}`;
      try {
        await makeDirectory(dirname(path), root);
        let bytes = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            options.onProgress?.(bytes);
            callback(null, chunk);
          },
        });
        await pipeline(body, counter, createWriteStream(partial), { signal: options.signal });
        await rename(partial, path);
      } catch (error) {
        // the source stays drained and closed whatever failed (no unhandled 'error' from an orphaned stream)
        if (!body.destroyed) body.destroy();
        await rm(partial, { force: true }).catch(() => undefined);
        throw toFileStorageError(error, 'writing', partial);
      }
    },
    async putBytes(key, data) {
      const path = pathOf(key);
      const partial = `${path}${PARTIAL}`;
      try {
        await makeDirectory(dirname(path), root);
        await writeFile(partial, data);
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true }).catch(() => undefined);
        throw toFileStorageError(error, 'writing', partial);
      }
    },
    async getStream(key) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (error) {
        throw toFileStorageError(error, 'reading', path);
      }
      return createReadStream(path);
    },
    async getBytes(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        throw toFileStorageError(error, 'reading', pathOf(key));
      }
    },
    async list(prefix) {
      const out: StoredObject[] = [];
      const start = pathOf(prefix.replace(/\/+$/, ''));
      const walk = async (dir: string): Promise<void> => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw toFileStorageError(error, 'listing', dir);
        }
        for (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else if (entry.isFile()) {
            const info = await stat(full);
            const key = relative(root, full).split(sep).join('/');
            out.push({ key, size: info.size, lastModified: info.mtime });
          }
        }
      };
      await walk(start);
      return out.filter((o) => o.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key));
    },
    async deleteKeys(keys) {
      for (const key of keys) {
        try {
          await rm(pathOf(key), { force: true });
        } catch (error) {
          throw toFileStorageError(error, 'deleting', pathOf(key));
        }
      }
      // remove directories left empty (a deleted backup leaves nothing behind)
      for (const dir of new Set(keys.map((k) => dirname(pathOf(k))))) {
        try {
          if ((await readdir(dir)).length === 0) await rm(dir, { recursive: true, force: true });
        } catch {
          // already gone
        }
      }
    },
    async exists(key) {
      try {
        await stat(pathOf(key));
        return true;
      } catch {
        return false;
      }
    },
    async close() {},
  };
}
