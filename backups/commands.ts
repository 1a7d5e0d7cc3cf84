/** Handlers of `preflight backup run|list|verify|prune|schedule` (base and drill: pitr/commands.ts). */
import { join, resolve } from 'node:path';
import type { Handler } from '../src/core/cli/define.js';
import { ExitCode } from '../src/core/errors.js';
import { formatBytes, formatDuration, formatTable } from '../src/core/output.js';
import { resolveTargetDatabase } from '../src/core/target.js';
import { readCatalog } from './catalog.js';
import { type BackupArgs, openBackupContext, readAgeIdentity, requireAdminUrl } from './context.js';
import { applyPrune, getWalKeepFrom, planPrune } from './prune.js';
import { runBackup } from './run.js';
import { renderSchedule, type ScheduleFormat } from './schedule.js';
import { verifyBackup } from './verify.js';
import { applyWalPrune, planWalPrune } from './wal/archive.js';

const PROGRESS_STEP = 256 * 1024 * 1024;

export const backupRunCommand: Handler<BackupArgs> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    // only the database settings: a target used for backups alone needs no baseUrl
    const database = resolveTargetDatabase(backup.config, backup.targetName, { env: context.env });
    let nextProgress = PROGRESS_STEP;
    const result = await runBackup({
      target: backup.targetName,
      adminUrl: requireAdminUrl(database.adminUrl, backup.targetName),
      storage: backup.storage,
      recipients: backup.config.backups.ageRecipients,
      compressLevel: backup.config.backups.compressLevel,
      checksumMethod: backup.config.backups.checksum,
      metrics: backup.metrics,
      env: context.env,
      log: (m) => context.out.info(m),
      onUploadProgress: (bytes) => {
        // progress on stderr every 256 MiB stored
        if (bytes >= nextProgress) {
          context.out.info(`stored ${formatBytes(bytes)} so far`);
          nextProgress = bytes + PROGRESS_STEP;
        }
      },
    });
    const m = result.manifest;
    const size = m.objects.reduce((sum, o) => sum + o.size, 0);
    if (result.metrics.error)
      context.out.warn(
        `warning: metrics not recorded at ${result.metrics.destination}: ${result.metrics.error}`,
      );
    context.out.result({
      ok: true,
      id: result.id,
      target: backup.targetName,
      storage: backup.storageUrl,
      size,
      durationMs: m.durationMs,
      tables: m.tables.length,
      manifest: m,
      metrics: result.metrics,
    });
    context.out.print(
      `Backup ${result.id} of ${backup.targetName} complete: ${formatBytes(size)} in ${formatDuration(m.durationMs)}, ${m.tables.length} tables, ${m.tables.reduce((s, t) => s + t.rows, 0)} rows, snapshot ${m.snapshotId}, stored at ${backup.storageUrl}`,
    );
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

export const backupListCommand: Handler<BackupArgs & { all?: boolean }> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const entries = await readCatalog(backup.storage, backup.targetName);
    const shown = argv.all ? entries : entries.filter((e) => e.complete);
    const rows = shown.map((e) => ({
      id: e.id,
      kind: e.kind,
      time: e.manifest?.startedAt ?? e.base?.startedAt ?? e.time.toISOString(),
      complete: e.complete,
      sizeBytes: e.size,
      durationMs: e.manifest?.durationMs ?? e.base?.durationMs ?? null,
      // a base backup is proven by `backup drill`, not by verify
      verified: e.kind === 'base' ? '-' : e.verification ? (e.verification.ok ? 'yes' : 'failed') : 'no',
      verifiedAt: e.verification?.verifiedAt ?? null,
      tables: e.manifest?.tables.length ?? null,
      /** Base backups: the earliest point they restore to, and the WAL they need from. */
      restorableFrom: e.base?.finishedAt ?? null,
      walFrom: e.base?.startSegment ?? null,
    }));
    context.out.result({
      ok: true,
      target: backup.targetName,
      storage: backup.storageUrl,
      backups: rows,
      incomplete: entries.filter((e) => !e.complete).map((e) => e.id),
    });
    if (rows.length === 0)
      context.out.print(`No complete backups of ${backup.targetName} at ${backup.storageUrl}.`);
    else {
      context.out.print(
        formatTable(
          ['id', 'kind', 'time', 'size', 'duration', 'verified', ...(argv.all ? ['status'] : [])],
          rows.map((r) => [
            r.id,
            r.kind,
            r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            formatBytes(r.sizeBytes),
            r.durationMs === null ? '-' : formatDuration(r.durationMs),
            r.verified,
            ...(argv.all ? [r.complete ? 'complete' : 'INCOMPLETE'] : []),
          ]),
        ),
      );
    }
    const incomplete = entries.length - entries.filter((e) => e.complete).length;
    if (incomplete > 0 && !argv.all)
      context.out.info(`${incomplete} incomplete backup(s) not listed (no manifest.json); see --all`);
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

export const backupVerifyCommand: Handler<
  BackupArgs & { id?: string; into?: string; workDir?: string; jobs?: number; keepOwners?: boolean }
> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const workDir = resolve(
      context.cwd,
      argv.workDir ?? backup.config.backups.workDir ?? join(backup.home, 'backups', 'work'),
    );
    const { record } = await verifyBackup({
      target: backup.targetName,
      storage: backup.storage,
      id: argv.id ?? 'latest',
      identity: readAgeIdentity(backup.config, context.env, context.cwd),
      workDir,
      intoUrl: argv.into,
      keepOwners: argv.keepOwners,
      restoreJobs: argv.jobs ?? backup.config.backups.restoreJobs,
      checkDirs: backup.config.backups.checksDir
        ? [resolve(context.cwd, backup.config.backups.checksDir)]
        : [],
      metrics: backup.metrics,
      retry: backup.config.backups.retry,
      env: context.env,
      log: (m) => context.out.info(m),
    });
    context.out.result({ ok: record.ok, record });
    const r = record.rto;
    context.out.print(
      [
        `Verify ${record.id}: ${record.ok ? context.out.paint.green('PASS') : context.out.paint.red('FAIL')}`,
        `RTO ${formatDuration(r.totalMs)}: download ${formatDuration(r.downloadMs)}, decrypt ${formatDuration(r.decryptMs)}, scratch database ${formatDuration(r.prepareMs)}, restore ${formatDuration(r.restoreMs)}, checks ${formatDuration(r.checksMs)}`,
        `Tables: ${record.tables.total - record.tables.mismatched.length}/${record.tables.total} match the manifest exactly`,
        ...(record.inventory?.compared ?? []).map((c) => `${c.kind} ${c.matched}/${c.total}`),
        ...(record.inventory?.notCompared ?? []).map((n) => `${n.kind}: not compared (${n.why})`),
        ...record.checks.map(
          (c) =>
            `check ${c.name}: ${c.notApplicable ? 'not applicable' : c.ok ? 'ok' : `FAILED (${c.error ?? `${c.rows} row(s)`})`}`,
        ),
      ].join('\n'),
    );
    if (record.ok) return ExitCode.ok;
    for (const m of record.tables.mismatched) {
      const what = !m.actual
        ? 'missing from the restored copy'
        : !m.expected
          ? 'not in the manifest'
          : m.actual.rows !== m.expected.rows
            ? `${m.expected.rows} rows in the manifest, ${m.actual.rows} restored`
            : `checksum ${m.expected.checksum} in the manifest, ${m.actual.checksum} restored`;
      context.out.warn(`verify failed: table ${m.schema}.${m.table}: ${what}`);
    }
    for (const c of record.inventory?.compared ?? [])
      for (const d of c.differences) {
        const what =
          d.actual === null
            ? 'missing from the restored copy'
            : d.expected === null
              ? 'not in the manifest'
              : `${d.expected} in the manifest, ${d.actual} restored`;
        context.out.warn(`verify failed: ${c.kind}: ${d.name}: ${what}`);
      }
    if (record.error) context.out.warn(`${record.error.code}: ${record.error.message}`);
    for (const c of record.checks.filter((x) => !x.ok))
      context.out.warn(`verify failed: invariant check ${c.name}: ${c.error ?? `${c.rows} row(s) returned`}`);
    return ExitCode.checkFailed;
  } finally {
    await backup.storage.close();
  }
};

export const backupPruneCommand: Handler<BackupArgs & { apply?: boolean }> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const catalog = await readCatalog(backup.storage, backup.targetName);
    const plan = planPrune(catalog, backup.config.backups.retention);
    // the WAL no retained base backup needs goes too (nothing is pruned while no base backup is retained)
    const walPlan = await planWalPrune({
      storage: backup.storage,
      target: backup.targetName,
      keepFrom: getWalKeepFrom(catalog, plan),
    });
    const deleted = argv.apply ? await applyPrune(backup.storage, plan, (m) => context.out.info(m)) : [];
    const walDeleted = argv.apply ? (await applyWalPrune(backup.storage, walPlan)).deleted : 0;
    const wal = {
      keep: walPlan.keep.length,
      delete: walPlan.remove.length,
      freedBytes: walPlan.remove.reduce((sum, item) => sum + item.entry.size, 0),
      deleted: walDeleted,
      removed: walPlan.remove.map((item) => ({ fileName: item.entry.fileName, reason: item.reason })),
      note: walPlan.note ?? null,
    };
    context.out.result({ ok: true, applied: Boolean(argv.apply), deleted, plan, wal });
    context.out.print(
      formatTable(
        ['id', 'kind', 'status', 'verified', 'action', 'why'],
        plan.decisions.map((d) => [
          d.id,
          d.kind,
          d.complete ? 'complete' : 'INCOMPLETE',
          d.verified ? 'yes' : 'no',
          d.action === 'delete' ? (argv.apply ? 'deleted' : 'DELETE') : 'keep',
          d.reasons.join('; '),
        ]),
      ),
    );
    const r = plan.retention;
    context.out.print(
      `${argv.apply ? 'Deleted' : 'Would delete'} ${plan.delete} of ${plan.decisions.length} backups (${formatBytes(plan.freedBytes)}), keeping ${plan.keep} (daily ${r.daily}, weekly ${r.weekly}, monthly ${r.monthly}).${argv.apply ? '' : ' Run with --apply to delete.'}`,
    );
    if (wal.keep + wal.delete > 0)
      context.out.print(
        `WAL archive: ${argv.apply ? 'deleted' : 'would delete'} ${wal.delete} of ${wal.keep + wal.delete} files (${formatBytes(wal.freedBytes)})${wal.note ? ` (${wal.note})` : wal.delete > 0 ? `: ${walPlan.remove[0]?.reason}` : ', every one needed by a retained base backup'}.`,
      );
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

export const backupScheduleCommand: Handler<
  BackupArgs & { format: ScheduleFormat; at: string; pgMajor: number; image: string }
> = async (argv, context) => {
  const { config, path } = context.loadConfig();
  const targetName = argv.target ?? config.defaultTarget;
  const target = config.targets[targetName];
  const secretEnv = [
    target?.database.adminUrlEnv ?? 'PREFLIGHT_DATABASE_ADMIN_URL',
    config.backups.ageIdentityEnv,
    ...((argv.storage ?? target?.backup.storage ?? '').startsWith('s3://')
      ? [config.backups.s3.accessKeyIdEnv, config.backups.s3.secretAccessKeyEnv]
      : []),
  ];
  const content = renderSchedule(argv.format, {
    target: targetName,
    at: argv.at,
    storage: argv.storage,
    secretEnv: [...new Set(secretEnv)],
    configPath:
      argv.format === 'k8s-cronjob'
        ? '/etc/preflight/preflight.yaml'
        : path
          ? path.startsWith(context.cwd)
            ? path.slice(context.cwd.length + 1)
            : path
          : 'preflight.yaml',
    pgMajor: argv.pgMajor,
    image: argv.image,
  });
  // the template holds variable NAMES only (never values), and redaction would mangle `SECRET_ACCESS_KEY: ${{ ... }}`
  context.out.artifact(content, {
    json: { ok: true, format: argv.format, target: targetName, at: argv.at, content },
  });
  return ExitCode.ok;
};
