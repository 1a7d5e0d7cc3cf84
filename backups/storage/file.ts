/** A local (or mounted) directory as backup storage: objects are files, written as `.partial` and renamed when complete. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PreflightError } from '../../src/errors.js';
import type { BackupStorage, PutStreamOptions, StoredObject } from './types.js';

const PARTIAL = '.partial';

/** Turns ENOSPC and friends into clear errors naming the path. */
export function toStorageError(error: unknown, action: string, path: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') {
    return new PreflightError('E_DISK_FULL', `No space left while ${action} ${path}`, {
      cause: error,
      hint: 'free space on that filesystem or point the storage/work directory elsewhere (--work-dir, backups.workDir)',
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new PreflightError('E_STORAGE', `Permission denied while ${action} ${path}`, {
      cause: error,
      hint: 'check the directory permissions',
    });
  }
  if (code === 'ENOENT') {
    return new PreflightError('E_STORAGE', `Not found while ${action} ${path}`, { cause: error });
  }
  return error;
}

export function createFileStorage(root: string): BackupStorage {
  const pathOf = (key: string) => join(root, ...key.split('/'));
  return {
    displayUrl: `file://${root}`,
    async putStream(key, body, options: PutStreamOptions = {}) {
      const path = pathOf(key);
      const partial = `${path}${PARTIAL}`;
      try {
        await mkdir(dirname(path), { recursive: true });
        let bytes = 0;
        body.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          options.onProgress?.(bytes);
        });
        await pipeline(body, createWriteStream(partial), { signal: options.signal });
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true }).catch(() => undefined);
        throw toStorageError(error, 'writing', partial);
      }
    },
    async putBytes(key, data) {
      const path = pathOf(key);
      const partial = `${path}${PARTIAL}`;
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(partial, data);
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true }).catch(() => undefined);
        throw toStorageError(error, 'writing', partial);
      }
    },
    async getStream(key) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (error) {
        throw toStorageError(error, 'reading', path);
      }
      return createReadStream(path);
    },
    async getBytes(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        throw toStorageError(error, 'reading', pathOf(key));
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
          throw toStorageError(error, 'listing', dir);
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
      for (const key of keys) await rm(pathOf(key), { force: true });
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
