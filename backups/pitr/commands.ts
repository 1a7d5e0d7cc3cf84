/** Handlers of `preflight backup base`, `preflight backup drill` and `preflight restore`. */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from '../../src/core/cli/context.js';
import type { Handler } from '../../src/core/cli/define.js';
import type { PreflightConfig } from '../../src/core/config/schema.js';
import { ExitCode, PreflightError } from '../../src/core/errors.js';
import { formatBytes, formatDuration } from '../../src/core/output.js';
import { resolveTargetDatabase } from '../../src/core/target.js';
import { type BackupArgs, openBackupContext, readAgeIdentity, requireAdminUrl } from '../context.js';
import { recordBackupMetrics } from '../metrics.js';
import { takeBaseBackup } from './base.js';
import { type DrillReport, runDrill } from './drill.js';
import { parseLsn } from './lsn.js';
import type { RecoveryRequest } from './range.js';
import { type RestoreReport, restoreToPoint } from './restore.js';
import { runScratchDrill } from './scratch.js';

/** The storage URL as restore_command and archive_command need it: absolute, from any directory. */
function getStorageUrl(argv: BackupArgs & { target?: string }, context: Context, home: string): string {
  const { config } = context.loadConfig();
  const url =
    argv.storage ??
    config.targets[argv.target ?? config.defaultTarget]?.backup.storage ??
    pathToFileURL(join(home, 'backups', 'storage')).toString();
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : resolve(context.cwd, url);
}

function requireIdentity(config: PreflightConfig, context: Context): string {
  const identity = readAgeIdentity(config, context.env, context.cwd);
  if (identity) return identity;
  throw new PreflightError(
    'E_DECRYPT',
    'No age identity to decrypt the base backup and the WAL archive with',
    {
      hint: `export the variable named by backups.ageIdentityEnv (${config.backups.ageIdentityEnv}) or set backups.ageIdentityFile`,
      details: { keyProblem: true },
    },
  );
}

export const backupBaseCommand: Handler<BackupArgs> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const database = resolveTargetDatabase(backup.config, backup.targetName, { env: context.env });
    const { id, manifest } = await takeBaseBackup({
      target: backup.targetName,
      adminUrl: requireAdminUrl(database.adminUrl, backup.targetName),
      storage: backup.storage,
      recipients: backup.config.backups.ageRecipients,
      compressLevel: backup.config.backups.compressLevel,
      env: context.env,
      log: (m) => context.out.info(m),
    });
    const size = manifest.objects.reduce((sum, o) => sum + o.size, 0);
    context.out.result({ ok: true, id, target: backup.targetName, storage: backup.storageUrl, manifest });
    context.out.print(
      `Base backup ${id} of ${backup.targetName} complete: ${formatBytes(size)} in ${formatDuration(manifest.durationMs)}, WAL ${manifest.startLsn} .. ${manifest.stopLsn} on timeline ${manifest.timeline}, restorable from ${manifest.finishedAt}, stored at ${backup.storageUrl}`,
    );
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

export interface RestoreArgs extends BackupArgs {
  toTime?: string;
  toLsn?: string;
  latest?: boolean;
  into: string;
  port?: number;
  base?: string;
  stop?: boolean;
}

export function parseRecoveryRequest(
  argv: Pick<RestoreArgs, 'toTime' | 'toLsn' | 'latest'>,
): RecoveryRequest {
  const given = [argv.toTime !== undefined, argv.toLsn !== undefined, Boolean(argv.latest)].filter(
    Boolean,
  ).length;
  if (given !== 1)
    throw new PreflightError('E_USAGE', 'Name exactly one recovery target: --to-time, --to-lsn or --latest', {
      hint: 'for example --to-time 2026-11-30T03:15:00Z',
    });
  if (argv.toLsn !== undefined) {
    parseLsn(argv.toLsn);
    return { kind: 'lsn', lsn: argv.toLsn.toUpperCase() };
  }
  if (argv.toTime !== undefined) {
    const time = new Date(argv.toTime);
    if (!/\d{4}-\d{2}-\d{2}/.test(argv.toTime) || Number.isNaN(time.getTime()))
      throw new PreflightError(
        'E_USAGE',
        `Expected \`--to-time\` to be an ISO 8601 time, got \`${argv.toTime}\``,
        {
          hint: 'for example 2026-11-30T03:15:00Z (UTC) or 2026-11-30T04:15:00+01:00',
        },
      );
    return { kind: 'time', time };
  }
  return { kind: 'latest' };
}

function describeRestore(r: RestoreReport): string[] {
  return [
    `Requested ${r.requested} from base backup ${r.base.id} (possible ${r.range.fromTime} .. ${r.range.toTime})`,
    `Achieved: last transaction ${r.achieved.lastTransactionTime ?? 'none replayed'}, WAL ${r.achieved.lsn ?? '-'}${r.achieved.stopping ? ` (${r.achieved.stopping})` : ''}`,
    `WAL segments replayed: ${r.segmentsReplayed}${r.lastSegmentReplayed ? `, the last ${r.lastSegmentReplayed}` : ''}`,
    `RTO ${formatDuration(r.rto.totalMs)}: plan ${formatDuration(r.rto.planMs)}, download+extract ${formatDuration(r.rto.downloadMs)}, prepare ${formatDuration(r.rto.prepareMs)}, recovery ${formatDuration(r.rto.recoveryMs)}`,
  ];
}

export const restoreCommand: Handler<RestoreArgs> = async (argv, context) => {
  const request = parseRecoveryRequest(argv);
  const backup = openBackupContext(argv, context);
  try {
    const identity = requireIdentity(backup.config, context);
    const { path } = context.loadConfig();
    const report = await restoreToPoint({
      target: backup.targetName,
      storage: backup.storage,
      storageUrl: getStorageUrl(argv, context, backup.home),
      configPath: path,
      identity,
      identityEnv: backup.config.backups.ageIdentityEnv,
      request,
      baseId: argv.base,
      intoDir: resolve(context.cwd, argv.into),
      port: argv.port,
      keepRunning: !argv.stop,
      env: context.env,
      log: (m) => context.out.info(m),
    });
    context.out.result(report);
    const lines = describeRestore(report);
    if (report.ok)
      lines.unshift(
        `Restore ${context.out.paint.green('OK')}: ${report.running ? `running on 127.0.0.1:${report.port} (stop: pg_ctl -D ${report.dataDir} stop)` : `stopped, data in ${report.dataDir}`}`,
      );
    else
      lines.unshift(
        `Restore ${context.out.paint.red('FAILED')}: ${report.failure?.code}: ${report.failure?.message}`,
      );
    context.out.print(lines.join('\n'));
    if (!report.ok) {
      for (const line of report.failure?.logTail ?? []) context.out.warn(`  server log: ${line}`);
      context.out.warn(`see the server log ${report.serverLog}; the data directory stays for inspection`);
    }
    return report.ok ? ExitCode.ok : ExitCode.checkFailed;
  } finally {
    await backup.storage.close();
  }
};

export const backupDrillCommand: Handler<BackupArgs & { scratch?: boolean; workDir?: string }> = async (
  argv,
  context,
) => {
  const backup = openBackupContext(argv, context);
  try {
    const workRoot = resolve(context.cwd, argv.workDir ?? tmpdir());
    const log = (m: string) => context.out.info(m);
    let report: DrillReport;
    if (argv.scratch) {
      report = await runScratchDrill({
        backups: backup.config.backups,
        storageUrl: argv.storage ? getStorageUrl(argv, context, backup.home) : undefined,
        workRoot,
        env: context.env,
        log,
      });
    } else {
      const database = resolveTargetDatabase(backup.config, backup.targetName, { env: context.env });
      report = await runDrill({
        target: backup.targetName,
        adminUrl: requireAdminUrl(database.adminUrl, backup.targetName),
        storage: backup.storage,
        storageUrl: getStorageUrl(argv, context, backup.home),
        configPath: context.loadConfig().path,
        recipients: backup.config.backups.ageRecipients,
        identity: requireIdentity(backup.config, context),
        identityEnv: backup.config.backups.ageIdentityEnv,
        compressLevel: backup.config.backups.compressLevel,
        workDir: workRoot,
        env: context.env,
        log,
      });
    }
    const metrics = report.ok
      ? // a scratch drill without --target proves the tooling, not a target: labelled "scratch"
        await recordBackupMetrics(
          backup.metrics,
          argv.scratch && !argv.target ? 'scratch' : backup.targetName,
          {
            set: { preflight_pitr_drill_last_success_timestamp_seconds: Date.now() / 1000 },
          },
        )
      : undefined;
    for (const line of report.restore.failure?.logTail ?? []) context.out.warn(`  server log: ${line}`);
    if (metrics?.error)
      context.out.warn(`warning: metrics not recorded at ${metrics.destination}: ${metrics.error}`);
    context.out.result({ ...report, metrics });
    context.out.print(
      [
        `PITR drill ${report.ok ? context.out.paint.green('PASS') : context.out.paint.red('FAIL')}${report.problem ? `: ${report.problem}` : ''}`,
        `Markers ${report.markers.map((m) => `${m.n}@${m.at}`).join(', ')}; restored to ${report.targetTime}: expected ${report.expected.join(', ')}, found ${report.found.join(', ') || 'none'}`,
        `RPO: last archived segment ${report.rpo.lastArchivedWal ?? 'none'}, ${report.rpo.ageSeconds === null ? '-' : `${report.rpo.ageSeconds.toFixed(1)} s`} old (${report.rpo.failedCount} archive failures)`,
        ...describeRestore(report.restore),
      ].join('\n'),
    );
    return report.ok ? ExitCode.ok : ExitCode.checkFailed;
  } finally {
    await backup.storage.close();
  }
};
