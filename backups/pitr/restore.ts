/**
 * `preflight restore`: a base backup restored to a point. The range is checked first (nothing is downloaded for a
 * target outside it); then download, check, decrypt, extract, pg_verifybackup; the recovery settings
 * (restore_command through `preflight wal fetch`, recovery_target_*, promote, recovery.signal); the server
 * starts as the PostgreSQL user and the server log tells where recovery stopped and why.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PreflightError } from '../../src/core/errors.js';
import { getFreePort } from '../../src/core/net.js';
import { findPgBinaries, findPgClientTool } from '../../src/core/pg/binaries.js';
import { getPostgresRunAs } from '../../src/core/pg/cluster.js';
import { runTool } from '../../src/core/process.js';
import { redact } from '../../src/core/redact.js';
import { readCatalog } from '../catalog.js';
import { assertIdentityMatches, parseAgeIdentities } from '../crypto.js';
import { getWalPrefix } from '../layout.js';
import type { BackupStorage } from '../storage/index.js';
import { buildWalCommand, listWalArchive } from '../wal/archive.js';
import { formatSegmentName, getSegmentNumber } from '../wal/names.js';
import { extractBaseBackup } from './extract.js';
import { describeRequest, planRestore, type RecoveryRange, type RecoveryRequest } from './range.js';
import { parseRecoveryLog, type RecoveryLog } from './server-log.js';

export interface RestoreToPointOptions {
  target: string;
  storage: BackupStorage;
  /** The storage URL restore_command uses (absolute for file storage). */
  storageUrl: string;
  configPath?: string;
  /** The age identity text, and the variable restore_command reads it from (set in the server's environment). */
  identity: string;
  identityEnv: string;
  request: RecoveryRequest;
  baseId?: string;
  intoDir: string;
  port?: number;
  /** Stop the server once recovery ended (the drill reads it first through `inspect`). */
  keepRunning?: boolean;
  /** Called while the promoted server runs, before it is stopped (when keepRunning is false). */
  inspect?: (port: number) => Promise<void>;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
  timeoutMs?: number;
  now?: Date;
}

export interface RestoreReport {
  ok: boolean;
  target: string;
  base: { id: string; stopLsn: string; finishedAt: string; timeline: number };
  requested: string;
  range: RecoveryRange;
  achieved: { lastTransactionTime: string | null; lsn: string | null; stopping: string | null };
  segmentsReplayed: number;
  lastSegmentReplayed: string | null;
  promoted: boolean;
  running: boolean;
  dataDir: string;
  port: number;
  serverLog: string;
  /** Why recovery fell short, when it did. */
  failure?: {
    code: 'E_WAL_INTEGRITY' | 'E_DECRYPT' | 'E_RESTORE';
    message: string;
    segment?: string;
    /** The server log's last lines (redacted). */
    logTail?: string[];
  };
  rto: { planMs: number; downloadMs: number; prepareMs: number; recoveryMs: number; totalMs: number };
}

function quoteConf(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function assertEmptyDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new PreflightError(
      'E_USAGE',
      `Expected \`--into\` to be a new or empty directory, got \`${dir}\` (not empty)`,
      {
        hint: 'name a directory that does not exist yet; preflight never restores over existing files',
      },
    );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function getRecoverySettings(o: RestoreToPointOptions, port: number): Record<string, string> {
  const settings: Record<string, string> = {
    restore_command: buildWalCommand('fetch', {
      target: o.target,
      configPath: o.configPath,
      storage: o.storageUrl,
      // the next segments are fetched ahead by a background prefetcher (backups/wal/prefetch.ts); a missing or
      // damaged segment still ends recovery exactly as without it
      async: true,
    }),
    recovery_target_action: 'promote',
    recovery_target_timeline: 'latest',
    // a restored copy must never push into the archive it came from
    archive_mode: 'off',
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    timezone: 'UTC',
    log_timezone: 'UTC',
    logging_collector: 'off',
  };
  // PostgreSQL's own form: it refuses ISO 8601's T and Z here
  if (o.request.kind === 'time')
    settings.recovery_target_time = o.request.time.toISOString().replace('T', ' ').replace('Z', '+00');
  if (o.request.kind === 'lsn') settings.recovery_target_lsn = o.request.lsn;
  return settings;
}

async function waitForRecoveryEnd(dataDir: string, logPath: string, timeoutMs: number): Promise<RecoveryLog> {
  const deadline = Date.now() + timeoutMs;
  // pg_ctl -W returns before the postmaster wrote its pid file: give it time to appear
  const startDeadline = Date.now() + 60_000;
  let seenRunning = false;
  for (;;) {
    const log = parseRecoveryLog(existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    if (log.promoted) return log;
    const running = existsSync(join(dataDir, 'postmaster.pid'));
    seenRunning ||= running;
    const ended = log.shutDown || (log.fatal !== undefined && !running);
    if (!running && (seenRunning || ended || Date.now() > startDeadline)) {
      // the postmaster removed its pid file: it ended; read the log once more for its last words
      await sleep(200);
      return parseRecoveryLog(existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    }
    if (Date.now() > deadline)
      throw new PreflightError('E_RESTORE', `Recovery did not end within ${Math.round(timeoutMs / 1000)} s`, {
        hint: `see ${logPath}; the server still runs: pg_ctl -D ${dataDir} stop`,
      });
    await sleep(250);
  }
}

/** Why recovery ended short: restore_command's own error, else the segment it could not get. */
function explainShortfall(
  log: RecoveryLog,
  range: RecoveryRange,
  timeline: number,
  startSegment: string,
  segmentSize: number,
): NonNullable<RestoreReport['failure']> {
  const last = log.restored.at(-1);
  const next = last
    ? formatSegmentName(timeline, getSegmentNumber(last.slice(8), segmentSize) + 1n, segmentSize)
    : startSegment;
  const integrity = log.walErrors.find((l) => l.includes('E_WAL_INTEGRITY'));
  if (integrity)
    return {
      code: 'E_WAL_INTEGRITY',
      message: `restore_command refused a WAL file: ${redact(integrity)}`,
      segment: next,
    };
  const decrypt = log.walErrors.find((l) => l.includes('E_DECRYPT'));
  if (decrypt)
    return {
      code: 'E_DECRYPT',
      message: `restore_command could not decrypt: ${redact(decrypt)}`,
      segment: next,
    };
  const missing = range.missing.includes(next);
  return {
    code: 'E_RESTORE',
    message: missing
      ? `WAL segment ${next} is missing from the archive: recovery stopped at the gap, after ${last ?? 'no segment'}`
      : `recovery ended after ${last ?? 'no segment'}${log.fatal ? `: ${log.fatal}` : ''}`,
    segment: next,
  };
}

export async function restoreToPoint(o: RestoreToPointOptions): Promise<RestoreReport> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const plan = planRestore({
    target: o.target,
    catalog: await readCatalog(o.storage, o.target),
    wal: await listWalArchive({ storage: o.storage, target: o.target }),
    request: o.request,
    baseId: o.baseId,
    now: o.now,
  });
  const base = plan.base;
  await assertIdentityMatches(
    parseAgeIdentities(o.identity),
    base.encryption.recipients.map((r) => r.recipient),
  );
  await assertServerUserCanRead(o);
  const dataDir = resolve(o.intoDir);
  assertEmptyDir(dataDir);
  const planMs = Date.now() - started;
  log(
    `restore: base backup ${base.id} (end ${base.finishedAt}, ${base.stopLsn}), target ${describeRequest(o.request)}`,
  );
  await extractBaseBackup({ storage: o.storage, manifest: base, identity: o.identity, dir: dataDir });
  const downloadMs = Date.now() - started - planMs;
  const binaries = findPgBinaries();
  await runTool(findPgClientTool('pg_verifybackup') ?? 'pg_verifybackup', ['-n', dataDir], {
    timeoutMs: 60 * 60 * 1000,
  }).catch((error) => {
    throw new PreflightError(
      'E_RESTORE',
      `pg_verifybackup rejects base backup ${base.id}: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'the copy does not match its backup_manifest; restore from another base backup (--base)',
      },
    );
  });
  const port = o.port ?? (await getFreePort());
  const settings = getRecoverySettings(o, port);
  await appendFile(
    join(dataDir, 'postgresql.auto.conf'),
    `\n# preflight restore: ${describeRequest(o.request)} from base backup ${base.id}\n${Object.entries(
      settings,
    )
      .map(([k, v]) => `${k} = ${quoteConf(v)}`)
      .join('\n')}\n`,
  );
  writeFileSync(join(dataDir, 'recovery.signal'), '');
  const runAs = getPostgresRunAs();
  if (runAs) await runTool('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dataDir]);
  await runTool('chmod', ['0700', dataDir]);
  const prepareMs = Date.now() - started - planMs - downloadMs;
  // not server.log: that is the source's own log, copied with the data directory
  const serverLog = join(dataDir, 'restore.log');
  const recoveryStarted = Date.now();
  await runTool(binaries.path('pg_ctl'), ['-D', dataDir, '-l', serverLog, '-W', 'start'], {
    runAs,
    env: { ...o.env, [o.identityEnv]: o.identity },
    timeoutMs: 120_000,
  });
  let recovery: RecoveryLog;
  try {
    recovery = await waitForRecoveryEnd(dataDir, serverLog, o.timeoutMs ?? 6 * 60 * 60 * 1000);
  } catch (error) {
    await stopServer(dataDir);
    throw error;
  }
  const recoveryMs = Date.now() - recoveryStarted;
  const reachedEnd = o.request.kind !== 'latest' || recovery.restored.includes(plan.range.lastSegment);
  const ok = recovery.promoted && reachedEnd;
  const report: RestoreReport = {
    ok,
    target: o.target,
    base: { id: base.id, stopLsn: base.stopLsn, finishedAt: base.finishedAt, timeline: base.timeline },
    requested: describeRequest(o.request),
    range: plan.range,
    achieved: {
      lastTransactionTime: recovery.lastTransactionTime ?? null,
      lsn: recovery.redoDoneAt ?? recovery.consistentAt ?? null,
      stopping: recovery.stopping ?? null,
    },
    segmentsReplayed: recovery.restored.length,
    lastSegmentReplayed: recovery.restored.at(-1) ?? null,
    promoted: recovery.promoted,
    running: recovery.promoted,
    dataDir,
    port,
    serverLog,
    rto: { planMs, downloadMs, prepareMs, recoveryMs, totalMs: Date.now() - started },
  };
  if (!ok)
    report.failure = {
      ...explainShortfall(recovery, plan.range, base.timeline, base.startSegment, base.walSegmentSize),
      logTail: readFileSync(serverLog, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-15)
        .map((line) => redact(line)),
    };
  try {
    if (ok && o.inspect) await o.inspect(port);
  } finally {
    if (report.running && (!ok || !o.keepRunning)) {
      await stopServer(dataDir);
      report.running = false;
    }
  }
  return report;
}

/** restore_command runs as the server's OS user: the config and a file storage's WAL must be readable by it. */
async function assertServerUserCanRead(o: RestoreToPointOptions): Promise<void> {
  const runAs = getPostgresRunAs();
  if (!runAs) return;
  const paths = [
    ...(o.configPath ? [resolve(o.configPath)] : []),
    ...(o.storageUrl.startsWith('file://')
      ? [join(fileURLToPath(o.storageUrl), getWalPrefix(o.target))]
      : /^[a-z][a-z0-9+.-]*:/i.test(o.storageUrl)
        ? []
        : [join(resolve(o.storageUrl), getWalPrefix(o.target))]),
  ];
  for (const path of paths) {
    const { exitCode } = await runTool('test', ['-r', path], {
      runAs,
      allowExitCodes: [1],
      timeoutMs: 10_000,
    });
    if (exitCode !== 0)
      throw new PreflightError(
        'E_CONFIG',
        `restore_command runs as the PostgreSQL user (uid ${runAs.uid}), which cannot read ${path}; nothing was restored`,
        {
          hint: 'make it (and its parent directories) readable by that user, e.g. chown -R postgres or chmod o+rX',
        },
      );
  }
}

export async function stopServer(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  await runTool(findPgBinaries().path('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], {
    runAs: getPostgresRunAs(),
    allowExitCodes: [1],
    timeoutMs: 90_000,
  });
}
