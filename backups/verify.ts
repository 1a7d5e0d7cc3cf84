/**
 * `backup verify`: download every object checking its sha256, decrypt, restore with pg_restore -j into a
 * scratch database, compare exact row counts and checksums with the manifest, run the invariant checks.
 * Records verification.json beside the backup and reports the RTO by stage.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isPreflightError, PreflightError, runCleanups } from '../src/core/errors.js';
import { redact } from '../src/core/redact.js';
import { pickBackup, readCatalog } from './catalog.js';
import { builtInChecksDir, listCheckFiles, runInvariantChecks } from './checks.js';
import {
  assertIdentityMatches,
  createDigestTap,
  decryptStream,
  parseAgeIdentities,
  toDecryptError,
} from './crypto.js';
import { applyStableOutputSettings, compareFigures, computeFiguresLike } from './figures.js';
import { captureInventory, compareInventories, grantKinds, ownerKinds } from './inventory.js';
import { DUMP_OBJECT, getObjectKey, VERIFICATION_OBJECT } from './layout.js';
import type { BackupManifest, StoredObjectRecord, VerificationRecord } from './manifest.js';
import { type MetricsSettings, type MetricsWriteResult, recordBackupMetrics } from './metrics.js';
import { createScratchDatabase, restoreDump, type ScratchDatabase } from './restore.js';
import { isTransientError, type RetryPolicy, withRetry } from './retry.js';
import { connectAdmin } from './snapshot.js';
import type { BackupStorage } from './storage/index.js';

export interface VerifyBackupOptions {
  target: string;
  storage: BackupStorage;
  /** A backup id or 'latest'. */
  id: string;
  identity: string | undefined;
  workDir: string;
  /** Restore into a new database on this server instead of a throwaway cluster. */
  intoUrl?: string;
  restoreJobs: number;
  /** Restore owners and grants too (the roles must exist there) and compare them. */
  keepOwners?: boolean;
  /** Extra check directories besides backups/checks. */
  checkDirs?: string[];
  metrics: MetricsSettings;
  retry: RetryPolicy;
  /** Extra environment for pg_restore (PREFLIGHT_PG_RESTORE selects another executable). */
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

export interface VerifyBackupResult {
  record: VerificationRecord;
  manifest: BackupManifest;
  metrics: MetricsWriteResult;
}

const elapsed = (since: number) => Date.now() - since;

/** Turns ENOSPC and friends in the local work directory into clear errors naming the path. */
function toWorkDirError(error: unknown, action: string, path: string): unknown {
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

/** Downloads one object to a file, checking size and sha256; mismatches name the object. */
async function downloadObject(
  storage: BackupStorage,
  object: StoredObjectRecord,
  path: string,
  retry: RetryPolicy,
): Promise<void> {
  await withRetry(
    async () => {
      const tap = createDigestTap();
      try {
        await pipeline(await storage.getStream(object.key), tap, createWriteStream(path));
      } catch (error) {
        throw toWorkDirError(error, 'downloading into', path);
      }
      if (tap.bytes !== object.size || tap.digest() !== object.sha256) {
        throw new PreflightError(
          'E_BACKUP_INTEGRITY',
          `Object ${object.key} is damaged: sha256 ${tap.digest()} (${tap.bytes} bytes) does not match the manifest's ${object.sha256} (${object.size} bytes)`,
          {
            hint: 'the stored object was altered or truncated; restore an older backup and investigate the storage',
            details: { object: object.key },
          },
        );
      }
    },
    { policy: retry, isRetryable: (error) => !isPreflightError(error) && isTransientError(error) },
  );
}

async function decryptToFile(
  source: string,
  identity: string,
  target: string,
  objectName: string,
): Promise<void> {
  const plain = await decryptStream(createReadStream(source), identity, objectName);
  try {
    await pipeline(plain, createWriteStream(target));
  } catch (error) {
    const mapped = toWorkDirError(error, 'decrypting into', target);
    throw mapped instanceof PreflightError ? mapped : toDecryptError(error, objectName);
  }
}

export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyBackupResult> {
  const log = options.log ?? (() => undefined);
  let entry: ReturnType<typeof pickBackup>;
  try {
    if (!options.identity) {
      throw new PreflightError('E_CONFIG', 'No age identity to decrypt with', {
        hint: 'set the variable named by backups.ageIdentityEnv (default PREFLIGHT_AGE_IDENTITY) to the AGE-SECRET-KEY-1... identity',
      });
    }
    entry = pickBackup(await readCatalog(options.storage, options.target), options.id, options.target);
    // a key that cannot open this backup is a problem of the key: found before any download, the backup not marked
    await assertIdentityMatches(
      parseAgeIdentities(options.identity),
      entry.manifest.encryption.recipients.map((r) => r.recipient),
    );
  } catch (error) {
    // a scheduled verify that cannot even start is a failure too (the backup itself is not marked)
    const metrics = await recordBackupMetrics(options.metrics, options.target, { incrementFailures: true });
    if (metrics.error)
      log(`warning: could not record the failure metric at ${metrics.destination}: ${metrics.error}`);
    throw error;
  }
  const manifest = entry.manifest;
  const record: VerificationRecord = {
    id: manifest.id,
    target: options.target,
    verifiedAt: new Date().toISOString(),
    ok: false,
    rto: { downloadMs: 0, decryptMs: 0, prepareMs: 0, restoreMs: 0, checksMs: 0, totalMs: 0 },
    restoredInto: options.intoUrl ? 'given-server' : 'throwaway-cluster',
    tables: { total: manifest.tables.length, mismatched: [] },
    checks: [],
  };
  const started = Date.now();
  const workDir = join(options.workDir, `${manifest.id}-${randomBytes(3).toString('hex')}`);
  const cleanups: Array<() => Promise<void>> = [() => rm(workDir, { recursive: true, force: true })];
  let scratchPromise: Promise<ScratchDatabase> | undefined;
  // dropped before the work directory (which may hold the throwaway cluster) is removed
  const dropScratch = async () => {
    const scratch = await scratchPromise?.catch(() => undefined);
    if (scratch) cleanups.push(() => scratch.drop());
  };
  try {
    try {
      await mkdir(workDir, { recursive: true });
    } catch (error) {
      throw toWorkDirError(error, 'creating', workDir);
    }
    let phase = Date.now();
    const dumpObject = manifest.objects.find((o) => o.name === DUMP_OBJECT);
    if (!dumpObject)
      throw new PreflightError(
        'E_BACKUP_INTEGRITY',
        `The manifest of ${manifest.id} lists no ${DUMP_OBJECT}`,
      );
    // the scratch database (a throwaway cluster's initdb) is made while the dump downloads and decrypts
    const prepareStarted = Date.now();
    scratchPromise = createScratchDatabase(
      workDir,
      options.intoUrl,
      `preflight_verify_${manifest.id.replace(/[^0-9a-z]/gi, '_').toLowerCase()}_${randomBytes(2).toString('hex')}`,
    ).then((created) => {
      record.rto.prepareMs = elapsed(prepareStarted);
      return created;
    });
    scratchPromise.catch(() => undefined);
    log(`verify ${manifest.id}: downloading ${manifest.objects.length} object(s)`);
    for (const object of manifest.objects)
      await downloadObject(options.storage, object, join(workDir, object.name), options.retry);
    record.rto.downloadMs = elapsed(phase);

    phase = Date.now();
    log(`verify ${manifest.id}: decrypting`);
    const dumpPath = join(workDir, 'dump.pgcustom');
    await decryptToFile(join(workDir, DUMP_OBJECT), options.identity, dumpPath, dumpObject.key);
    await rm(join(workDir, DUMP_OBJECT), { force: true });
    record.rto.decryptMs = elapsed(phase);

    log(
      `verify ${manifest.id}: restoring with pg_restore -j ${options.restoreJobs} into a ${options.intoUrl ? 'scratch database on the given server' : 'throwaway cluster'}`,
    );
    const scratch = await scratchPromise;
    phase = Date.now();
    await restoreDump(dumpPath, scratch.url, options.restoreJobs, options.env, options.keepOwners);
    record.rto.restoreMs = elapsed(phase);

    phase = Date.now();
    log(`verify ${manifest.id}: comparing ${manifest.tables.length} tables and running invariant checks`);
    const client = await connectAdmin(scratch.url, 'preflight-verify');
    try {
      await applyStableOutputSettings(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const restored = await computeFiguresLike(
        client,
        manifest.tables,
        manifest.checksumMethod ?? 'hashtext',
      );
      if (manifest.inventory) {
        const inventory = await captureInventory(client, manifest.checksumMethod ?? 'hashtext');
        // by default verify restores with --no-owner --no-privileges (roles of the source need not exist here)
        const skipped = options.keepOwners ? [] : [...ownerKinds, ...grantKinds];
        record.inventory = {
          compared: compareInventories(manifest.inventory, inventory, skipped),
          notCompared: skipped.map((kind) => ({
            kind,
            why: 'restored with --no-owner --no-privileges',
          })),
        };
      }
      await client.query('COMMIT');
      record.tables.mismatched = compareFigures(manifest.tables, restored);
      record.checks = await runInvariantChecks(
        client,
        listCheckFiles([builtInChecksDir, ...(options.checkDirs ?? [])]),
      );
    } finally {
      await client.end().catch(() => undefined);
    }
    record.rto.checksMs = elapsed(phase);
    const differing = [
      ...record.tables.mismatched.map((m) => `table ${m.schema}.${m.table}`),
      ...(record.inventory?.compared ?? []).flatMap((c) => c.differences.map((d) => `${c.kind}: ${d.name}`)),
    ];
    if (differing.length > 0)
      record.error = {
        code: 'E_BACKUP_INTEGRITY',
        message: redact(`The restored copy differs from the manifest: ${differing.join('; ')}`),
      };
    record.ok = differing.length === 0 && record.checks.every((c) => c.ok);
  } catch (error) {
    const e = isPreflightError(error) ? error : undefined;
    record.error = {
      code: e?.code ?? 'E_BACKUP',
      message: redact((error as Error)?.message ?? String(error)),
    };
    record.rto.totalMs = elapsed(started);
    await dropScratch();
    // a wrong key says nothing about the backup: its recorded verification stays as it was
    const keyProblem = e?.details.keyProblem === true;
    await finishVerification(options, record, !keyProblem).catch(() => undefined);
    await runCleanups(cleanups).catch((cleanupError) =>
      log(`warning: cleanup failed: ${redact(String(cleanupError))}`),
    );
    throw error;
  }
  record.rto.totalMs = elapsed(started);
  await dropScratch();
  await runCleanups(cleanups).catch((cleanupError) =>
    log(`warning: cleanup failed: ${redact(String(cleanupError))}`),
  );
  const metrics = await finishVerification(options, record);
  return { record, manifest, metrics };
}

/** Stores verification.json beside the backup and records the metrics (success or a failure). */
async function finishVerification(
  options: VerifyBackupOptions,
  record: VerificationRecord,
  storeRecord = true,
): Promise<MetricsWriteResult> {
  let storeError: unknown;
  try {
    if (storeRecord)
      await options.storage.putBytes(
        getObjectKey(options.target, record.id, VERIFICATION_OBJECT),
        `${JSON.stringify(record, null, 2)}\n`,
      );
  } catch (error) {
    storeError = error;
  }
  // the metric is recorded even when the storage refuses the record
  const metrics = await recordBackupMetrics(
    options.metrics,
    options.target,
    record.ok
      ? {
          set: {
            preflight_backup_verify_last_success_timestamp_seconds: Date.now() / 1000,
            preflight_backup_restore_duration_seconds: record.rto.restoreMs / 1000,
          },
        }
      : { incrementFailures: true },
  );
  if (storeError) throw storeError;
  return metrics;
}
