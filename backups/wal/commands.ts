/** Handlers of `preflight wal push|fetch|archiver|list|verify|prune`. */
import { chown, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Handler } from '../../src/core/cli/define.js';
import { ExitCode, PreflightError } from '../../src/core/errors.js';
import { formatBytes, formatDuration, formatTable } from '../../src/core/output.js';
import { onInterrupt } from '../../src/core/signals.js';
import { type BackupArgs, openBackupContext, readAgeIdentity } from '../context.js';
import { parseAgeIdentities } from '../crypto.js';
import { recordWalMetrics } from '../metrics.js';
import { runArchiver } from './archiver.js';
import { buildWalCommand, findWalEntry, getDefaultSpoolDir } from './command.js';
import { requireWalFileName } from './names.js';
import { runPrefetch } from './prefetch.js';
import { applyWalPrune, planWalPrune, type WalKeepFrom } from './prune.js';
import {
  ARCHIVED_DIR,
  answerFetchFromSpool,
  answerPushFromSpool,
  getPrefetchSpoolDir,
  startPrefetcher,
} from './spool.js';
import { fetchWal, listWalArchive, pushWal } from './store.js';
import { verifyWalArchive } from './verify.js';

export interface WalPushArgs extends BackupArgs {
  path: string;
  async?: boolean;
  spoolDir?: string;
}

async function countReady(walPath: string): Promise<number | undefined> {
  try {
    const names = await readdir(join(dirname(walPath), 'archive_status'));
    return names.filter((n) => n.endsWith('.ready')).length;
  } catch {
    return undefined;
  }
}

function requireIdentities(
  config: Parameters<typeof readAgeIdentity>[0],
  env: NodeJS.ProcessEnv,
  cwd: string,
) {
  const text = readAgeIdentity(config, env, cwd);
  if (!text)
    throw new PreflightError('E_DECRYPT', 'No age identity to decrypt the WAL archive with', {
      hint: `export the variable named by backups.ageIdentityEnv (${config.backups.ageIdentityEnv}) or set backups.ageIdentityFile; restore_command inherits the server's environment and runs as its OS user`,
      details: { keyProblem: true },
    });
  return parseAgeIdentities(text);
}

export const walPushCommand: Handler<WalPushArgs> = async (argv, context) => {
  const walPath = resolve(context.cwd, argv.path);
  if (argv.async) {
    const spoolDir = argv.spoolDir ?? getDefaultSpoolDir(argv.target ?? 'sandbox', context.env);
    if (await answerPushFromSpool(['push', walPath, '--async', '--spool-dir', spoolDir])) {
      // bin/preflight-wal.js gives this answer without loading the CLI: seeing this line means it was not used
      context.out.info(`wal push: ${argv.path} stored by the archiver (answered by the full CLI)`);
      context.out.result({ ok: true, file: argv.path, outcome: 'archived-by-archiver' });
      return ExitCode.ok;
    }
  }
  const backup = openBackupContext(argv, context);
  try {
    const result = await pushWal({
      storage: backup.storage,
      target: backup.targetName,
      filePath: walPath,
      recipients: backup.config.backups.ageRecipients,
    });
    const ready = await countReady(walPath);
    const metrics = await recordWalMetrics(backup.metrics, backup.targetName, {
      set: {
        preflight_wal_last_archived_timestamp_seconds: Date.now() / 1000,
        ...(ready === undefined ? {} : { preflight_wal_archive_lag_segments: Math.max(0, ready - 1) }),
      },
    });
    if (metrics.error)
      context.out.warn(`warning: WAL metrics not recorded at ${metrics.destination}: ${metrics.error}`);
    context.out.result({ ok: true, file: argv.path, ...result });
    context.out.info(
      result.outcome === 'stored'
        ? `wal push: ${argv.path} stored (${formatBytes(result.bytes)}) at ${result.key}`
        : `wal push: ${argv.path} was already archived with the same content`,
    );
    return ExitCode.ok;
  } catch (error) {
    const metrics = await recordWalMetrics(backup.metrics, backup.targetName, { incrementFailures: true });
    if (metrics.error)
      context.out.warn(
        `warning: the failure metric was not recorded at ${metrics.destination}: ${metrics.error}`,
      );
    throw error;
  } finally {
    await backup.storage.close();
  }
};

export interface WalFetchArgs extends BackupArgs {
  name: string;
  dest: string;
  async?: boolean;
  spoolDir?: string;
  prefetch?: number;
}

/** The arguments bin/preflight-wal.js would see, for the spool helpers shared with it. */
function fetchArgs(argv: WalFetchArgs & { target?: string; config?: string }, dest: string): string[] {
  const args = ['fetch', argv.name, dest, '--async'];
  if (argv.target) args.push('--target', argv.target);
  if (argv.config) args.push('--config', argv.config);
  if (argv.storage) args.push('--storage', argv.storage);
  if (argv.spoolDir) args.push('--spool-dir', argv.spoolDir);
  if (argv.prefetch !== undefined) args.push('--prefetch', String(argv.prefetch));
  return args;
}

export const walFetchCommand: Handler<WalFetchArgs> = async (argv, context) => {
  requireWalFileName(argv.name);
  if (argv.async) {
    const args = fetchArgs(argv, resolve(context.cwd, argv.dest));
    if (answerFetchFromSpool(args, findWalEntry())) {
      // bin/preflight-wal.js gives this answer without loading the CLI: seeing this line means it was not used
      context.out.result({ ok: true, file: argv.name, outcome: 'fetched-ahead' });
      return ExitCode.ok;
    }
    // not spooled: prefetch what follows while this one is fetched the ordinary way (same exit codes and errors)
    startPrefetcher(args, findWalEntry());
  }
  const backup = openBackupContext(argv, context);
  try {
    const outcome = await fetchWal({
      storage: backup.storage,
      target: backup.targetName,
      fileName: argv.name,
      destPath: resolve(context.cwd, argv.dest),
      identities: requireIdentities(backup.config, context.env, context.cwd),
    });
    context.out.result({ ok: outcome === 'fetched', file: argv.name, outcome });
    // exit 1, never above 125: PostgreSQL ends recovery on a missing file, but aborts on a high exit code
    if (outcome === 'missing') {
      context.out.info(`wal fetch: ${argv.name} is not in the archive of ${backup.targetName}`);
      return ExitCode.checkFailed;
    }
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

/** `wal prefetch` (started by `wal fetch --async`, detached): fetches the segments after <name> ahead. */
export const walPrefetchCommand: Handler<
  WalFetchArgs & { pgdata: string; concurrency?: number; idleMs?: number }
> = async (argv, context) => {
  requireWalFileName(argv.name);
  const backup = openBackupContext(argv, context);
  try {
    const pgdata = resolve(context.cwd, argv.pgdata);
    const summary = await runPrefetch({
      storage: backup.storage,
      target: backup.targetName,
      identities: requireIdentities(backup.config, context.env, context.cwd),
      spoolDir: getPrefetchSpoolDir(
        argv.spoolDir ? ['--spool-dir', resolve(context.cwd, argv.spoolDir)] : [],
        join(pgdata, 'pg_wal', argv.name),
      ),
      after: argv.name,
      count: argv.prefetch,
      concurrency: argv.concurrency,
      dataDir: pgdata,
      idleMs: argv.idleMs,
      log: (m) => context.out.info(m),
    });
    context.out.result({ ok: true, ...summary });
    context.out.info(`prefetch: ${summary.fetched} segments fetched ahead; stopped: ${summary.stopped}`);
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

/**
 * Run as root, the archiver becomes the data directory's owner (after making the spool its): what it stores must be
 * what archive_command, running as that user, can read and overwrite in a file:// storage.
 */
async function becomeDataDirectoryOwner(
  pgdata: string,
  spoolDir: string,
  log: (m: string) => void,
): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await stat(pgdata).catch(() => undefined);
  if (!owner || owner.uid === 0) return;
  await mkdir(join(spoolDir, ARCHIVED_DIR), { recursive: true, mode: 0o700 });
  for (const path of [spoolDir, join(spoolDir, ARCHIVED_DIR)]) await chown(path, owner.uid, owner.gid);
  process.setgroups?.([owner.gid]);
  process.setgid?.(owner.gid);
  process.setuid?.(owner.uid);
  log(`archiver: running as uid ${owner.uid}, the owner of ${pgdata}`);
}

export const walArchiverCommand: Handler<
  BackupArgs & { pgdata: string; spoolDir?: string; concurrency?: number }
> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  // SIGINT/SIGTERM stop it cleanly: uploads under way finish, the pid file goes
  const interrupt = onInterrupt(new AbortController(), {
    onFirst: (signal) => context.out.info(`archiver: ${signal}, finishing the uploads under way`),
  });
  const pgdata = resolve(context.cwd, argv.pgdata);
  const spoolDir = resolve(context.cwd, argv.spoolDir ?? getDefaultSpoolDir(backup.targetName, context.env));
  try {
    await becomeDataDirectoryOwner(pgdata, spoolDir, (m) => context.out.info(m));
    const summary = await runArchiver({
      storage: backup.storage,
      target: backup.targetName,
      pgdata,
      spoolDir,
      recipients: backup.config.backups.ageRecipients,
      concurrency: argv.concurrency,
      metrics: backup.metrics,
      signal: interrupt.signal,
      log: (m) => context.out.info(m),
    });
    context.out.result({ ok: true, ...summary });
    context.out.print(
      `Archiver stopped after ${formatDuration(summary.durationMs)}: ${summary.archived} stored, ${summary.alreadyArchived} already archived, ${summary.failures} failed attempts, ${formatBytes(summary.bytes)}`,
    );
    return ExitCode.ok;
  } finally {
    interrupt.dispose();
    await backup.storage.close();
  }
};

export const walListCommand: Handler<BackupArgs> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const entries = await listWalArchive({ storage: backup.storage, target: backup.targetName });
    context.out.result({ ok: true, target: backup.targetName, storage: backup.storageUrl, files: entries });
    if (entries.length === 0)
      context.out.print(`No archived WAL for ${backup.targetName} at ${backup.storageUrl}.`);
    else
      context.out.print(
        formatTable(
          ['timeline', 'file', 'kind', 'size', 'stored'],
          entries.map((e) => [
            e.timeline,
            e.fileName,
            e.kind,
            formatBytes(e.size),
            e.lastModified.toISOString(),
          ]),
        ),
      );
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

export const walVerifyCommand: Handler<BackupArgs> = async (argv, context) => {
  const backup = openBackupContext(argv, context);
  try {
    const result = await verifyWalArchive({
      storage: backup.storage,
      target: backup.targetName,
      identities: requireIdentities(backup.config, context.env, context.cwd),
    });
    context.out.result({ target: backup.targetName, storage: backup.storageUrl, ...result });
    const lines = [
      `WAL archive of ${backup.targetName}: ${result.ok ? context.out.paint.green('OK') : context.out.paint.red('FAILED')} (${result.checked} files checked)`,
      ...result.timelines.map(
        (t) => `timeline ${t.timeline}: ${t.segments} segments${t.first ? ` ${t.first} .. ${t.last}` : ''}`,
      ),
      ...result.gaps.map(
        (g) =>
          `gap on timeline ${g.timeline} after ${g.after}: ${g.missing.length} missing (${g.missing.slice(0, 3).join(', ')}${g.missing.length > 3 ? ', ...' : ''})`,
      ),
      ...result.mismatches.map((m) => `damaged or checksum mismatch: ${m}`),
      ...(result.empty
        ? [
            `nothing is archived under ${backup.storageUrl} for target ${backup.targetName}: check archive_command (preflight wal command push), --target and --storage`,
          ]
        : []),
    ];
    context.out.print(lines.join('\n'));
    return result.ok ? ExitCode.ok : ExitCode.checkFailed;
  } finally {
    await backup.storage.close();
  }
};

function parseKeepFrom(values: string[]): WalKeepFrom[] {
  return values.map((value) => {
    const name = /^[0-9A-F]{24}$/.test(value) ? requireWalFileName(value) : undefined;
    if (!name)
      throw new PreflightError('E_USAGE', `--keep-from "${value}" is not a WAL segment name`, {
        hint: "give the start segment of each retained base backup, 24 hex digits (its manifest's start segment)",
      });
    return { timeline: name.timeline, segment: value };
  });
}

export const walPruneCommand: Handler<BackupArgs & { apply?: boolean; keepFrom?: string[] }> = async (
  argv,
  context,
) => {
  const backup = openBackupContext(argv, context);
  try {
    const keepFrom = parseKeepFrom(argv.keepFrom ?? []);
    const plan = await planWalPrune({ storage: backup.storage, target: backup.targetName, keepFrom });
    const applied = argv.apply ? await applyWalPrune(backup.storage, plan) : undefined;
    context.out.result({
      ok: true,
      target: backup.targetName,
      applied: Boolean(argv.apply),
      note: plan.note,
      keep: plan.keep.map((i) => ({ file: i.entry.fileName, reason: i.reason })),
      remove: plan.remove.map((i) => ({ file: i.entry.fileName, reason: i.reason })),
      deleted: applied?.deleted ?? 0,
    });
    const lines = [
      ...(plan.note ? [plan.note] : []),
      `${plan.keep.length} WAL files kept, ${plan.remove.length} ${argv.apply ? 'deleted' : 'to delete'}`,
      ...plan.remove.map((i) => `${argv.apply ? 'deleted' : 'delete'} ${i.entry.fileName}: ${i.reason}`),
    ];
    if (!argv.apply && plan.remove.length > 0) lines.push('Nothing deleted: run again with --apply.');
    context.out.print(lines.join('\n'));
    return ExitCode.ok;
  } finally {
    await backup.storage.close();
  }
};

/** Prints archive_command or restore_command for postgresql.conf, built from the same options. */
export const walCommandCommand: Handler<
  BackupArgs & { kind: 'push' | 'fetch'; async?: boolean; spoolDir?: string }
> = async (argv, context) => {
  const { config } = context.loadConfig();
  const target = argv.target ?? config.defaultTarget;
  const command = buildWalCommand(argv.kind, {
    target,
    configPath: argv.config ? resolve(context.cwd, argv.config) : undefined,
    storage: argv.storage,
    async: argv.async,
    spoolDir: argv.spoolDir ? resolve(context.cwd, argv.spoolDir) : undefined,
  });
  const setting = argv.kind === 'push' ? 'archive_command' : 'restore_command';
  context.out.artifact(`${setting} = '${command.replace(/'/g, "''")}'`, { json: { setting, command } });
  return ExitCode.ok;
};
