/**
 * `backup base`: a physical base backup for point-in-time recovery. `pg_basebackup -Ft -D - -X none` (its
 * backup_manifest inside the tar) streams through gzip, age and sha256 into `<target>/base/<id>/base.tar.gz.age`;
 * manifest.json (kind 'base': start/stop LSN from the backup_manifest in the stream, timeline, start/stop time, system identifier) is written last.
 * With WAL method none pg_basebackup waits until the server archived the stop segment, so the WAL a restore
 * needs is in the archive when this returns.
 */
import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import { PreflightError } from '../../src/core/errors.js';
import { findPgClientTool, readToolVersion } from '../../src/core/pg/binaries.js';
import { resolveTool, startTool, ToolError } from '../../src/core/process.js';
import { redact } from '../../src/core/redact.js';
import { createDigestTap, encryptStream } from '../crypto.js';
import { createBackupId, getObjectKey } from '../layout.js';
import { BASE_TAR_OBJECT, type BaseBackupManifest } from '../manifest.js';
import { describeEncryption, describeLayout, writeManifest } from '../manifest-write.js';
import { settleWithin } from '../retry.js';
import { connectAdmin } from '../snapshot.js';
import { type BackupStorage, probeStorage } from '../storage/index.js';
import { splitConnectionUrl } from '../tools.js';
import { getSegmentForLsn } from '../wal/names.js';
import { createTarWatcher, readBackupPoints } from './tar-watch.js';

export interface BaseBackupOptions {
  target: string;
  adminUrl: string;
  storage: BackupStorage;
  recipients: string[];
  compressLevel: number;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
  /** pg_basebackup is ended after this long (it waits for the stop segment to be archived); default 6 hours. */
  timeoutMs?: number;
}

interface ServerFacts {
  version: string;
  versionNum: number;
  systemIdentifier: string;
  segmentSize: number;
  archiveMode: string;
}

const version = '0.1.0';

async function readServerFacts(adminUrl: string): Promise<ServerFacts> {
  const client = await connectAdmin(adminUrl, 'preflight-backup-base');
  try {
    const { rows } = await client.query<{
      version: string;
      version_num: string;
      system_identifier: string;
      segment_size: string;
      archive_mode: string;
    }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
              (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
              (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment_size,
              current_setting('archive_mode') AS archive_mode`,
    );
    const row = rows[0];
    if (!row) throw new Error('no row');
    return {
      version: row.version,
      versionNum: Number(row.version_num),
      systemIdentifier: row.system_identifier,
      segmentSize: Number(row.segment_size),
      archiveMode: row.archive_mode,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function findBasebackup(env: NodeJS.ProcessEnv): string {
  const override = env.PREFLIGHT_PG_BASEBACKUP;
  if (override) return resolveTool(override);
  return findPgClientTool('pg_basebackup') ?? resolveTool('pg_basebackup');
}

export async function takeBaseBackup(
  options: BaseBackupOptions,
): Promise<{ id: string; manifest: BaseBackupManifest }> {
  const log = options.log ?? (() => undefined);
  if (options.recipients.length === 0)
    throw new PreflightError(
      'E_CONFIG',
      'No age recipients configured: backups are never stored unencrypted',
      {
        hint: 'add your age public key(s) to backups.ageRecipients in preflight.yaml (age-keygen -y key.txt prints it)',
      },
    );
  const env = { ...process.env, ...options.env };
  const pgBasebackup = findBasebackup(env);
  await probeStorage(options.storage, options.target);
  const facts = await readServerFacts(options.adminUrl);
  if (facts.archiveMode === 'off')
    throw new PreflightError(
      'E_CONFIG',
      `archive_mode is off on the server of target "${options.target}": a base backup without archived WAL cannot be restored to a point`,
      {
        hint: 'set archive_mode = on and archive_command to `preflight wal push` (see backups/README.md, PITR), restart the server, then take the base backup',
      },
    );
  const started = new Date();
  const id = createBackupId(started);
  const tarKey = getObjectKey(options.target, id, BASE_TAR_OBJECT);
  const connection = splitConnectionUrl(options.adminUrl);
  const plain = new PassThrough({ highWaterMark: 1024 * 1024 });
  log(`base backup ${id}: pg_basebackup of PostgreSQL ${facts.version} (system ${facts.systemIdentifier})`);
  const tool = startTool(
    pgBasebackup,
    ['-D', '-', '-Ft', '-X', 'none', '-c', 'fast', '-v', '--no-password', `--dbname=${connection.url}`],
    {
      env: { ...options.env, ...connection.env, PGAPPNAME: 'preflight-backup-base' },
      stdoutTo: plain,
      timeoutMs: options.timeoutMs ?? 6 * 60 * 60 * 1000,
    },
  );
  const finished = tool.result.then(
    (result) => {
      plain.end();
      return result;
    },
    (error) => {
      plain.destroy(error);
      throw error;
    },
  );
  finished.catch(() => undefined); // judged below
  let uploadFailed = false;
  try {
    const gzip = createGzip({ level: options.compressLevel });
    const watcher = createTarWatcher(['backup_manifest']);
    plain.on('error', (error) => watcher.destroy(error));
    watcher.on('error', (error) => gzip.destroy(error));
    plain.pipe(watcher).pipe(gzip);
    const encrypted = await encryptStream(gzip, options.recipients);
    const tap = createDigestTap();
    encrypted.on('error', (error) => tap.destroy(error));
    encrypted.pipe(tap);
    const uploaded = options.storage.putStream(tarKey, tap);
    uploaded.catch(() => void tool.kill('SIGKILL').catch(() => undefined));
    const [toolOutcome, uploadOutcome] = await Promise.allSettled([finished, uploaded]);
    if (toolOutcome.status === 'rejected') {
      const reason = toolOutcome.reason as Error;
      const timedOut = reason instanceof ToolError && reason.timedOut;
      throw new PreflightError(
        'E_BACKUP',
        `pg_basebackup failed, no base backup was stored: ${redact(reason.message)}`,
        {
          cause: reason,
          hint: timedOut
            ? 'pg_basebackup waits until the server archived the stop segment: check archive_command and pg_stat_archiver'
            : 'the admin user needs the REPLICATION attribute and pg_hba.conf a `replication` line for it; a server with tablespaces cannot stream one tar',
        },
      );
    }
    if (uploadOutcome.status === 'rejected') {
      uploadFailed = true;
      throw uploadOutcome.reason;
    }
    const points = readBackupPoints(watcher.members);
    if (!points)
      throw new PreflightError(
        'E_BACKUP',
        'The base backup stream holds no backup_manifest with its WAL range',
        {
          hint: 'pg_basebackup 13 or newer writes one; do not pass --no-manifest',
        },
      );
    const stopped = new Date();
    const manifest: BaseBackupManifest = {
      manifestVersion: 1,
      kind: 'base',
      id,
      target: options.target,
      server: {
        version: facts.version,
        versionNum: facts.versionNum,
        systemIdentifier: facts.systemIdentifier,
      },
      pgBasebackup: { version: readToolVersion(pgBasebackup) ?? 'unknown', path: pgBasebackup },
      startLsn: points.startLsn,
      stopLsn: points.stopLsn,
      timeline: points.timeline,
      startSegment: getSegmentForLsn(points.timeline, points.startLsn, facts.segmentSize),
      walSegmentSize: facts.segmentSize,
      startedAt: started.toISOString(),
      finishedAt: stopped.toISOString(),
      durationMs: stopped.getTime() - started.getTime(),
      objects: [
        {
          name: BASE_TAR_OBJECT,
          key: tarKey,
          size: tap.bytes,
          sha256: tap.digest(),
          encoding: ['age', 'gzip', 'tar'],
        },
      ],
      encryption: describeEncryption(options.recipients),
      layout: describeLayout(options.target),
      preflightVersion: version,
    };
    await writeManifest(options.storage, manifest);
    log(
      `base backup ${id}: ${tap.bytes} bytes stored, WAL ${points.startLsn} .. ${points.stopLsn} on timeline ${points.timeline}`,
    );
    return { id, manifest };
  } catch (error) {
    await tool.kill('SIGKILL').catch(() => undefined);
    if (!uploadFailed) await settleWithin(options.storage.deleteKeys([tarKey]), 10_000);
    throw error;
  }
}
