/** Storing and reading one archived WAL file (format: see archive.ts), and listing the archive. */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { PreflightError } from '../../src/core/errors.js';
import { toDecryptError } from '../crypto.js';
import { getWalPrefix } from '../layout.js';
import type { BackupStorage } from '../storage/index.js';
import { decryptAge, encryptAge } from './age-native.js';
import { formatTimeline, parseWalFileName, requireWalFileName, type WalFileKind } from './names.js';

const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

const HEADER_MAGIC = 'preflight-wal/1';
const HEADER_MAX = 256;

export interface WalEntry {
  timeline: number;
  fileName: string;
  kind: WalFileKind;
  key: string;
  size: number;
  lastModified: Date;
}

export interface WalObjectHeader {
  sha256: string;
  size: number;
}

export interface PushWalOptions {
  storage: BackupStorage;
  target: string;
  filePath: string;
  recipients: string[];
  /** brotli quality, 0 (the default: archiving must keep up; 8x less CPU than gzip -1 here) to 11. */
  compressLevel?: number;
}

export interface PushWalResult {
  outcome: 'stored' | 'already-archived';
  key: string;
  /** Stored bytes of the object. */
  bytes: number;
}

export interface FetchWalOptions {
  storage: BackupStorage;
  target: string;
  fileName: string;
  destPath: string;
  identities: string[];
}

/** The storage key of a WAL file: `<target>/wal/<timeline>/<file name>.age`. */
export function getWalObjectKey(target: string, fileName: string): string {
  const name = requireWalFileName(fileName);
  return `${getWalPrefix(target)}${formatTimeline(name.timeline)}/${fileName}.age`;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Header + age(brotli(plain)). */
export async function encodeWalObject(
  plain: Buffer,
  recipients: string[],
  compressLevel = 0,
): Promise<{ body: Buffer; header: WalObjectHeader }> {
  const header = { sha256: sha256Hex(plain), size: plain.length };
  const compressed = await brotliAsync(plain, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: compressLevel,
      [constants.BROTLI_PARAM_SIZE_HINT]: plain.length,
    },
  });
  const cipher = await encryptAge(compressed, recipients);
  const line = Buffer.from(`${HEADER_MAGIC} sha256=${header.sha256} size=${header.size} br\n`);
  return { body: Buffer.concat([line, cipher]), header };
}

/** The header of a stored object, or undefined when the bytes do not start with one. */
export function parseWalObjectHeader(head: Buffer): { header: WalObjectHeader; length: number } | undefined {
  const end = head.subarray(0, HEADER_MAX).indexOf(0x0a);
  if (end < 0) return undefined;
  const m = /^preflight-wal\/1 sha256=([0-9a-f]{64}) size=(\d+) br$/.exec(
    head.subarray(0, end).toString('latin1'),
  );
  if (!m?.[1] || !m[2]) return undefined;
  return { header: { sha256: m[1], size: Number(m[2]) }, length: end + 1 };
}

async function readHead(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes >= HEADER_MAX) break;
  }
  stream.destroy();
  return Buffer.concat(chunks);
}

/** The header of the object stored under `key`, undefined when there is none; an unreadable header is E_WAL. */
export async function readStoredHeader(
  storage: BackupStorage,
  key: string,
): Promise<WalObjectHeader | undefined> {
  if (!(await storage.exists(key))) return undefined;
  const parsed = parseWalObjectHeader(await readHead(await storage.getStream(key)));
  if (parsed) return parsed.header;
  throw new PreflightError('E_WAL', `The archived object ${key} has no preflight WAL header`, {
    hint: 'it was not written by `preflight wal push` or is damaged: run `preflight wal verify`',
  });
}

/**
 * Archives one WAL file (archive_command). The same content already stored is success ('already-archived');
 * different content under the same name throws E_WAL and stores nothing, so PostgreSQL keeps the file.
 */
export async function pushWal(o: PushWalOptions): Promise<PushWalResult> {
  if (o.recipients.length === 0)
    throw new PreflightError('E_CONFIG', 'No age recipients configured: WAL is never archived unencrypted', {
      hint: 'add your age public key(s) to backups.ageRecipients in preflight.yaml (age-keygen -y key.txt prints it)',
    });
  const fileName = basename(o.filePath);
  const key = getWalObjectKey(o.target, fileName);
  let plain: Buffer;
  try {
    plain = await readFile(o.filePath);
  } catch (error) {
    throw new PreflightError(
      'E_WAL',
      `Cannot read the WAL file ${o.filePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
        hint: 'archive_command runs in the data directory as the server user: pass %p as PostgreSQL gives it',
      },
    );
  }
  const stored = await readStoredHeader(o.storage, key);
  if (stored) return compareWithStored(stored, plain, key, fileName);
  const { body } = await encodeWalObject(plain, o.recipients, o.compressLevel);
  await o.storage.putBytes(key, body);
  return { outcome: 'stored', key, bytes: body.length };
}

function compareWithStored(
  stored: WalObjectHeader,
  plain: Buffer,
  key: string,
  fileName: string,
): PushWalResult {
  const sha256 = sha256Hex(plain);
  if (stored.sha256 === sha256 && stored.size === plain.length)
    return { outcome: 'already-archived', key, bytes: 0 };
  throw new PreflightError(
    'E_WAL',
    `WAL file ${fileName} is already archived at ${key} with different content (stored sha256 ${stored.sha256.slice(0, 12)}…, ${stored.size} bytes; this file ${sha256.slice(0, 12)}…, ${plain.length} bytes)`,
    {
      hint: 'two clusters archive to the same target, or the archive holds an older history: give each cluster its own target, or move the old archive away; nothing was overwritten',
    },
  );
}

/** Decrypts, decompresses and checks a stored object's bytes; damage is E_WAL_INTEGRITY, a wrong key E_DECRYPT. */
export async function decodeWalObject(body: Buffer, identities: string[], fileName: string): Promise<Buffer> {
  const parsed = parseWalObjectHeader(body);
  if (!parsed)
    throw new PreflightError(
      'E_WAL_INTEGRITY',
      `WAL file ${fileName}: the archived object has no valid header`,
      {
        hint: 'the object is damaged or was not written by preflight; restore cannot use it',
      },
    );
  let compressed: Uint8Array;
  try {
    compressed = await decryptAge(body.subarray(parsed.length), identities);
  } catch (error) {
    const decryptError = toDecryptError(error, `WAL file ${fileName}`);
    if (decryptError.details?.keyProblem) throw decryptError;
    throw new PreflightError('E_WAL_INTEGRITY', `WAL file ${fileName} is damaged: ${decryptError.message}`, {
      cause: error,
      hint: 'the archived object changed after it was stored; restore cannot use it (run `preflight wal verify`)',
    });
  }
  let plain: Buffer;
  try {
    plain = await unbrotliAsync(compressed);
  } catch (error) {
    throw new PreflightError(
      'E_WAL_INTEGRITY',
      `WAL file ${fileName} is damaged: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'the archived object does not decompress; restore cannot use it',
      },
    );
  }
  const sha256 = sha256Hex(plain);
  if (sha256 !== parsed.header.sha256 || plain.length !== parsed.header.size)
    throw new PreflightError(
      'E_WAL_INTEGRITY',
      `WAL file ${fileName} fails its checksum: sha256 ${sha256.slice(0, 12)}… (${plain.length} bytes), stored ${parsed.header.sha256.slice(0, 12)}… (${parsed.header.size} bytes)`,
      { hint: 'the archived object is damaged; restore cannot use it (run `preflight wal verify`)' },
    );
  return plain;
}

/**
 * Restores one WAL file (restore_command) to `destPath`, written beside and renamed so PostgreSQL never reads a
 * partial file. 'missing' when the archive has no such file (the end of recovery, or a gap).
 */
export async function fetchWal(o: FetchWalOptions): Promise<'fetched' | 'missing'> {
  const key = getWalObjectKey(o.target, o.fileName);
  if (!(await o.storage.exists(key))) return 'missing';
  const plain = await decodeWalObject(await o.storage.getBytes(key), o.identities, o.fileName);
  const partial = `${o.destPath}.preflight-partial`;
  try {
    await writeFile(partial, plain);
    await rename(partial, o.destPath);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw new PreflightError(
      'E_WAL',
      `Cannot write WAL file ${o.fileName} to ${o.destPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
        hint: 'restore_command runs as the server user in the data directory: pass %p as PostgreSQL gives it',
      },
    );
  }
  return 'fetched';
}

/** Every archived WAL file of the target, sorted by timeline then name (history, segments, labels in WAL order). */
export async function listWalArchive(o: { storage: BackupStorage; target: string }): Promise<WalEntry[]> {
  const prefix = getWalPrefix(o.target);
  const entries: WalEntry[] = [];
  for (const object of await o.storage.list(prefix)) {
    const m = /^([0-9A-F]{8})\/(.+)\.age$/.exec(object.key.slice(prefix.length));
    const name = m?.[2] ? parseWalFileName(m[2]) : undefined;
    if (!name || formatTimeline(name.timeline) !== m?.[1]) continue;
    entries.push({
      timeline: name.timeline,
      fileName: name.fileName,
      kind: name.kind,
      key: object.key,
      size: object.size,
      lastModified: object.lastModified,
    });
  }
  return entries.sort(
    (a, b) => a.timeline - b.timeline || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0),
  );
}
