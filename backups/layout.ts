/**
 * Where a backup's objects live inside the storage root. Logical backups sit under `<target>/base/<id>/`;
 * `<target>/wal/` is reserved for WAL archives (point-in-time recovery, a later issue) beside them.
 */
import { randomBytes } from 'node:crypto';

export const DUMP_OBJECT = 'dump.age';
export const MANIFEST_OBJECT = 'manifest.json';
export const VERIFICATION_OBJECT = 'verification.json';

export function getTargetPrefix(target: string): string {
  return `${target}/`;
}

export function getBasePrefix(target: string): string {
  return `${target}/base/`;
}

/** Reserved for the WAL archive of the same target. */
export function getWalPrefix(target: string): string {
  return `${target}/wal/`;
}

export function getBackupPrefix(target: string, id: string): string {
  return `${getBasePrefix(target)}${id}/`;
}

export function getObjectKey(target: string, id: string, object: string): string {
  return `${getBackupPrefix(target, id)}${object}`;
}

const idPattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{6}$/;

/** A sortable backup id: the UTC start time plus a random suffix, e.g. 20261125T030000Z-a1b2c3. */
export function createBackupId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isBackupId(id: string): boolean {
  return idPattern.test(id);
}

/** The start time encoded in a backup id. */
export function getBackupIdTime(id: string): Date | undefined {
  const m = idPattern.exec(id);
  if (!m) return undefined;
  return new Date(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  );
}
