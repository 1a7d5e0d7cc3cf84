/**
 * `backup run`: one consistent, compressed, encrypted logical backup streamed to storage.
 * REPEATABLE READ + pg_export_snapshot(); per-table figures computed in that snapshot while
 * `pg_dump -Fc --snapshot` streams through age and sha256 into storage; manifest.json written last.
 */
import { PassThrough } from 'node:stream';
import { PreflightError } from '../src/core/errors.js';
import { startTool } from '../src/core/process.js';
import { redact } from '../src/core/redact.js';
import { createDigestTap, encryptStream } from './crypto.js';
import { type ChecksumMethod, computeAllFigures } from './figures.js';
import { captureInventory, readAllSequenceStates, recordSequenceReadsAroundDump } from './inventory.js';
import { createBackupId, DUMP_OBJECT, getObjectKey } from './layout.js';
import type { BackupManifest, TableFigures } from './manifest.js';
import { describeEncryption, describeLayout, writeManifest } from './manifest-write.js';
import { type MetricsSettings, type MetricsWriteResult, recordBackupMetrics } from './metrics.js';
import { settleWithin } from './retry.js';
import { exportSnapshot } from './snapshot.js';
import { type BackupStorage, probeStorage } from './storage/index.js';
import { assertDumpVersion, findPgTool, splitConnectionUrl } from './tools.js';

export interface RunBackupOptions {
  target: string;
  adminUrl: string;
  storage: BackupStorage;
  recipients: string[];
  compressLevel: number;
  checksumMethod?: ChecksumMethod;
  metrics: MetricsSettings;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
  onUploadProgress?: (bytes: number) => void;
  now?: () => Date;
}

export interface RunBackupResult {
  id: string;
  manifest: BackupManifest;
  metrics: MetricsWriteResult;
}

const version = '0.1.0';

export async function runBackup(options: RunBackupOptions): Promise<RunBackupResult> {
  const started = options.now?.() ?? new Date();
  try {
    const result = await dumpToStorage(options, started);
    const durationSeconds = result.manifest.durationMs / 1000;
    const size = result.manifest.objects.reduce((sum, o) => sum + o.size, 0);
    const metrics = await recordBackupMetrics(options.metrics, options.target, {
      set: {
        preflight_backup_last_success_timestamp_seconds: Date.parse(result.manifest.finishedAt) / 1000,
        preflight_backup_duration_seconds: durationSeconds,
        preflight_backup_size_bytes: size,
      },
    });
    return { ...result, metrics };
  } catch (error) {
    const metrics = await recordBackupMetrics(options.metrics, options.target, { incrementFailures: true });
    if (metrics.error)
      options.log?.(
        `warning: could not record the failure metric at ${metrics.destination}: ${metrics.error}`,
      );
    throw error;
  }
}

async function dumpToStorage(
  options: RunBackupOptions,
  started: Date,
): Promise<Omit<RunBackupResult, 'metrics'>> {
  const log = options.log ?? (() => undefined);
  if (options.recipients.length === 0) {
    throw new PreflightError(
      'E_CONFIG',
      'No age recipients configured: backups are never stored unencrypted',
      {
        hint: 'add your age public key(s) to backups.ageRecipients in preflight.yaml (age-keygen -y key.txt prints it)',
      },
    );
  }
  const id = createBackupId(started);
  const dumpKey = getObjectKey(options.target, id, DUMP_OBJECT);
  const pgDump = findPgTool('pg_dump', { ...process.env, ...options.env });
  // a storage that cannot take a tiny object (credentials, bucket, read-only directory) fails before any dump
  await probeStorage(options.storage, options.target);
  const snapshot = await exportSnapshot(options.adminUrl);
  let uploadFailed = false;
  try {
    const pgDumpVersion = await assertDumpVersion(pgDump, snapshot.serverVersionNum, options.env);
    log(
      `backup ${id}: snapshot ${snapshot.snapshotId} of ${snapshot.database} (PostgreSQL ${snapshot.serverVersion}), pg_dump ${pgDumpVersion}`,
    );
    const connection = splitConnectionUrl(options.adminUrl);
    const sequencesAtStart = await readAllSequenceStates(snapshot.client);
    const plain = new PassThrough({ highWaterMark: 1024 * 1024 });
    const dump = startTool(
      pgDump,
      [
        '--format=custom',
        `--compress=${options.compressLevel}`,
        `--snapshot=${snapshot.snapshotId}`,
        '--no-password',
        `--dbname=${connection.url}`,
      ],
      { env: { ...options.env, ...connection.env, PGAPPNAME: 'preflight-backup' }, stdoutTo: plain },
    );
    let dumpFailedFirst = false;
    let stoppedBecause: unknown;
    const phaseStart = Date.now();
    const dumped = dump.result.then(
      (result) => {
        log(`backup ${id}: pg_dump finished after ${Date.now() - phaseStart} ms`);
        plain.end();
        return result;
      },
      (error) => {
        if (stoppedBecause === undefined) dumpFailedFirst = true;
        plain.destroy(error);
        throw error;
      },
    );
    dumped.catch(() => undefined); // judged below, after every part settled
    const encrypted = await encryptStream(plain, options.recipients);
    const tap = createDigestTap();
    encrypted.on('error', (error) => tap.destroy(error));
    encrypted.pipe(tap);
    const uploaded = options.storage.putStream(dumpKey, tap, { onProgress: options.onUploadProgress });
    const checksumMethod = options.checksumMethod ?? 'hashcolumns';
    const figured = computeAllFigures(snapshot.client, checksumMethod).then(async (figures) => {
      log(
        `backup ${id}: ${figures.length} tables counted and checksummed after ${Date.now() - phaseStart} ms`,
      );
      const inventory = await captureInventory(snapshot.client, checksumMethod);
      return { figures, inventory };
    });
    // a failed upload or count must not leave pg_dump blocked on a pipe nobody reads
    const stopDump = (reason: unknown) => {
      if (dumpFailedFirst || stoppedBecause !== undefined) return;
      stoppedBecause = reason;
      // zx throws synchronously when the process already exited
      Promise.resolve()
        .then(() => dump.kill('SIGKILL'))
        .catch(() => undefined);
      plain.destroy();
    };
    uploaded.catch(stopDump);
    figured.catch(stopDump);
    // a failed upload ends the run now: the counts still running in the snapshot are cancelled, not awaited
    uploaded.catch(() => settleWithin(snapshot.cancelRunningQuery(), 5_000));
    const [dumpOutcome, uploadOutcome, figuresOutcome] = await Promise.allSettled([
      dumped,
      uploaded,
      figured,
    ]);
    if (dumpOutcome.status === 'rejected' && dumpFailedFirst) {
      const reason = dumpOutcome.reason as Error;
      throw new PreflightError(
        'E_BACKUP',
        `pg_dump failed, nothing was stored as a complete backup: ${redact(reason.message)}`,
        {
          cause: reason,
          hint: 'see the pg_dump error above; the partial dump was removed',
        },
      );
    }
    if (uploadOutcome.status === 'rejected') {
      uploadFailed = true;
      throw uploadOutcome.reason;
    }
    if (figuresOutcome.status === 'rejected' || dumpOutcome.status === 'rejected') {
      const reason = figuresOutcome.status === 'rejected' ? figuresOutcome.reason : stoppedBecause;
      if (reason instanceof PreflightError) throw reason;
      throw new PreflightError(
        'E_BACKUP',
        `Counting rows in the snapshot failed: ${redact(String((reason as Error)?.message ?? reason))}`,
        {
          cause: reason,
        },
      );
    }
    const tables: TableFigures[] = figuresOutcome.value.figures;
    const inventory = figuresOutcome.value.inventory;
    // sequences are not transactional: pg_dump read each one somewhere between these two reads
    await recordSequenceReadsAroundDump(snapshot.client, inventory, sequencesAtStart);
    await snapshot.close();
    const finished = options.now?.() ?? new Date();
    const manifest: BackupManifest = {
      manifestVersion: 1,
      kind: 'logical',
      id,
      target: options.target,
      database: snapshot.database,
      format: 'custom',
      compression: { method: 'gzip', level: options.compressLevel },
      server: { version: snapshot.serverVersion, versionNum: snapshot.serverVersionNum },
      pgDump: { version: pgDumpVersion, path: pgDump },
      snapshotId: snapshot.snapshotId,
      walLsn: snapshot.walLsn,
      timeline: snapshot.timeline,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      objects: [
        {
          name: DUMP_OBJECT,
          key: dumpKey,
          size: tap.bytes,
          sha256: tap.digest(),
          encoding: ['age', 'pg_dump-custom-gzip'],
        },
      ],
      checksumMethod,
      tables,
      inventory,
      encryption: describeEncryption(options.recipients),
      layout: describeLayout(options.target),
      preflightVersion: version,
    };
    await writeManifest(options.storage, manifest);
    log(`backup ${id}: stored ${tap.bytes} bytes, ${tables.length} tables, manifest written`);
    return { id, manifest };
  } catch (error) {
    await snapshot.close().catch(() => undefined);
    // an upload that failed stored nothing; otherwise best effort, bounded (prune removes leftovers a day old)
    if (!uploadFailed) await settleWithin(options.storage.deleteKeys([dumpKey]), 10_000);
    throw error;
  }
}
