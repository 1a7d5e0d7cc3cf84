/** Reads what the storage holds for a target: complete backups (with a manifest), incomplete ones, and their verifications. */
import { PreflightError } from '../src/core/errors.js';
import {
  getBackupIdTime,
  getBasePrefix,
  isBackupId,
  MANIFEST_OBJECT,
  VERIFICATION_OBJECT,
} from './layout.js';
import {
  BASE_TAR_OBJECT,
  type BackupManifest,
  type BaseBackupManifest,
  parseAnyManifest,
  type VerificationRecord,
} from './manifest.js';
import type { BackupStorage, StoredObject } from './storage/index.js';

export interface CatalogEntry {
  id: string;
  /** 'logical' (pg_dump) or 'base' (pg_basebackup, for point-in-time recovery); an incomplete backup counts as logical unless its objects say base. */
  kind: 'logical' | 'base';
  /** Start time (from the id). */
  time: Date;
  complete: boolean;
  /** The manifest of a complete logical backup. */
  manifest: BackupManifest | undefined;
  /** The manifest of a complete base backup. */
  base: BaseBackupManifest | undefined;
  verification: VerificationRecord | undefined;
  objects: StoredObject[];
  /** Bytes stored under the backup's prefix. */
  size: number;
}

export async function readCatalog(storage: BackupStorage, target: string): Promise<CatalogEntry[]> {
  const base = getBasePrefix(target);
  const objects = await storage.list(base);
  const byId = new Map<string, StoredObject[]>();
  for (const object of objects) {
    const id = object.key.slice(base.length).split('/')[0] ?? '';
    if (!isBackupId(id)) continue;
    byId.set(id, [...(byId.get(id) ?? []), object]);
  }
  const entries: CatalogEntry[] = [];
  for (const [id, stored] of byId) {
    const names = new Set(stored.map((o) => o.key.slice(base.length + id.length + 1)));
    let manifest: BackupManifest | undefined;
    let baseManifest: BaseBackupManifest | undefined;
    let verification: VerificationRecord | undefined;
    if (names.has(MANIFEST_OBJECT)) {
      const key = `${base}${id}/${MANIFEST_OBJECT}`;
      try {
        const parsed = parseAnyManifest((await storage.getBytes(key)).toString('utf8'), key);
        if (parsed.kind === 'base') baseManifest = parsed;
        else manifest = parsed;
      } catch (error) {
        if (error instanceof PreflightError) throw error;
        manifest = undefined; // an unreadable manifest: the backup counts as incomplete
      }
    }
    if (manifest && names.has(VERIFICATION_OBJECT)) {
      try {
        verification = JSON.parse(
          (await storage.getBytes(`${base}${id}/${VERIFICATION_OBJECT}`)).toString('utf8'),
        ) as VerificationRecord;
      } catch {
        verification = undefined;
      }
    }
    entries.push({
      id,
      kind: baseManifest || names.has(BASE_TAR_OBJECT) ? 'base' : 'logical',
      time: getBackupIdTime(id) ?? new Date(0),
      complete: manifest !== undefined || baseManifest !== undefined,
      manifest,
      base: baseManifest,
      verification,
      objects: stored,
      size: stored.reduce((sum, o) => sum + o.size, 0),
    });
  }
  return entries.sort((a, b) => b.id.localeCompare(a.id));
}

/** Finds a complete logical backup by id, or the newest with `latest`. */
export function pickBackup(
  entries: CatalogEntry[],
  idOrLatest: string,
  target: string,
): CatalogEntry & { manifest: BackupManifest } {
  const complete = entries.filter(
    (e): e is CatalogEntry & { manifest: BackupManifest } => e.complete && e.manifest !== undefined,
  );
  const found = idOrLatest === 'latest' ? complete[0] : complete.find((e) => e.id === idOrLatest);
  if (found) return found;
  const incomplete = entries.find((e) => e.id === idOrLatest && !e.complete);
  throw new PreflightError(
    'E_BACKUP',
    incomplete
      ? `Backup ${idOrLatest} is incomplete (no manifest.json)`
      : `No complete backup ${idOrLatest === 'latest' ? 'found' : `"${idOrLatest}"`} for target "${target}"`,
    {
      hint: incomplete
        ? 'an incomplete backup is never restored; run `preflight backup run` for a new one'
        : 'see `preflight backup list`, or run `preflight backup run` first',
    },
  );
}
