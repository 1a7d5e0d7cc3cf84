/**
 * `npm run bench:wal`: WAL archiving through preflight on a throwaway cluster (archive_mode on, archive_command from
 * buildWalCommand) under a pgbench write load (pgbench -c4, TPC-B-like mixed with inserts), in the sync mode (one `wal push` per segment) and the
 * async mode (`wal push --async` answered from the spool of a running `wal archiver`). For each mode it prints the
 * segments archived per second, the archive lag sampled every second (pg_stat_archiver against
 * pg_walfile_name(pg_current_wal_lsn()) and the .ready files), the CPU used per segment (the PostgreSQL archiver's
 * children, which run archive_command, plus the `wal archiver` process, from the start of the load until the archive
 * caught up with it, divided by the segments archived meanwhile), and a burst: segments/s when many are
 * ready at once (goal >= 10/s). Then the RTO of the drill's restore path (restoreToPoint: download, decrypt,
 * pg_verifybackup, replay) against a plain pg_basebackup copy replaying the same WAL with `cp`, and the drill itself
 * (`backup drill --scratch`) with its RPO and RTO.
 * Prints figures only; asserts nothing.
 * Options: BENCH_SECONDS (pgbench -T, default 30), BENCH_SCALE (pgbench -i -s, default 10),
 * BENCH_BURST (segments made ready at once, default 32), BENCH_CONCURRENCY (archiver uploads, default 4),
 * BENCH_ROWS (md5 rows each write-heavy pgbench transaction inserts, default 1000), BENCH_PHASES (default
 * load,burst,rto,drill).
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import pg from 'pg';
import { takeBaseBackup } from '../backups/pitr/base.js';
import { restoreToPoint, stopServer } from '../backups/pitr/restore.js';
import { runScratchDrill } from '../backups/pitr/scratch.js';
import { openStorage } from '../backups/storage/index.js';
import { findPgTool, splitConnectionUrl } from '../backups/tools.js';
import { buildWalCommand } from '../backups/wal/archive.js';
import { getSegmentNumber } from '../backups/wal/names.js';
import { validateConfig } from '../src/core/config/load.js';
import { getFreePort } from '../src/core/net.js';
import { formatDuration, formatTable } from '../src/core/output.js';
import { findPgBinaries, findPgClientTool } from '../src/core/pg/binaries.js';
import { type Cluster, createCluster, getPostgresRunAs } from '../src/core/pg/cluster.js';
import { type RunningTool, runTool, startTool } from '../src/core/process.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const scale = Number(process.env.BENCH_SCALE ?? 10);
const burstSize = Number(process.env.BENCH_BURST ?? 32);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const rowsPerInsert = Number(process.env.BENCH_ROWS ?? 1000);
const phases = new Set((process.env.BENCH_PHASES ?? 'load,burst,rto,drill').split(','));
const repoRoot = join(import.meta.dirname, '..');
const log = (message: string) => process.stderr.write(`[bench:wal] ${message}\n`);
const print = (text = '') => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  root: string;
  cluster: Cluster;
  target: string;
  configPath: string;
  storageUrl: string;
  spoolDir: string;
  identity: string;
  identityEnv: string;
  recipient: string;
  clockTicks: number;
}

interface ArchiverStat {
  archived: number;
  failed: number;
  lastArchived: string | null;
  current: string;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function readArchiver(url: string): Promise<ArchiverStat> {
  const [row] = await query<{ archived: string; failed: string; last: string | null; current: string }>(
    url,
    `SELECT archived_count AS archived, failed_count AS failed, last_archived_wal AS last,
            pg_walfile_name(pg_current_wal_lsn()) AS current FROM pg_stat_archiver`,
  );
  return {
    archived: Number(row!.archived),
    failed: Number(row!.failed),
    lastArchived: row!.last,
    current: row!.current,
  };
}

const segmentOf = (name: string) => getSegmentNumber(name.slice(8, 24));

/** Segments written (switched away from) but not archived yet. */
function getLag(stat: ArchiverStat): number {
  if (!stat.lastArchived) return Number(segmentOf(stat.current));
  return Math.max(0, Number(segmentOf(stat.current) - segmentOf(stat.lastArchived)) - 1);
}

function countReady(dataDir: string): number {
  return readdirSync(join(dataDir, 'pg_wal', 'archive_status')).filter((f) => f.endsWith('.ready')).length;
}

/** utime+stime (and the children's, when `children`) of a process, in ms, from /proc/<pid>/stat. */
function readCpuMs(pid: number, clockTicks: number, children: boolean): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime 14, stime 15, cutime 16, cstime 17
  const ticks = [11, 12, ...(children ? [13, 14] : [])].reduce((n, i) => n + Number(fields[i]), 0);
  return (ticks * 1000) / clockTicks;
}

/** The PostgreSQL archiver process: archive_command runs as its children, so their CPU adds up in its cutime. */
function findPgArchiverPid(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster && cmdline.includes('archiver')) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no archiver process under postmaster ${postmaster}`);
}

async function setArchiveCommand(url: string, command: string): Promise<void> {
  await query(url, `ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
  await query(url, 'SELECT pg_reload_conf()');
}

function getPushCommand(s: Setup, async: boolean): string {
  return buildWalCommand('push', {
    target: s.target,
    configPath: s.configPath,
    storage: s.storageUrl,
    ...(async ? { async: true, spoolDir: s.spoolDir } : {}),
  });
}

function startArchiver(s: Setup): RunningTool {
  return startTool(
    process.execPath,
    [
      join(repoRoot, 'bin', 'preflight.js'),
      'wal',
      'archiver',
      '--pgdata',
      s.cluster.dataDir,
      '--spool-dir',
      s.spoolDir,
      '--concurrency',
      String(concurrency),
      '--target',
      s.target,
      '--config',
      s.configPath,
      '--storage',
      s.storageUrl,
    ],
    { killSignal: 'SIGTERM' },
  );
}

/**
 * pgbench -c4: the built-in TPC-B-like transaction mixed with an insert of `BENCH_ROWS` md5 rows, so that this small
 * machine writes WAL at a rate that fills segments every few seconds (TPC-B alone writes ~1 KiB per transaction).
 */
function getLoadArgs(s: Setup, durationSeconds: number): string[] {
  const script = join(s.root, 'wal-heavy.sql');
  writeFileSync(
    script,
    `INSERT INTO wal_heavy SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, ${rowsPerInsert});\n`,
  );
  return [
    '-c',
    '4',
    '-j',
    '2',
    '-T',
    String(durationSeconds),
    '-n',
    '-b',
    'tpcb-like@1',
    '-f',
    `${script}@1`,
  ];
}

/** Until the archiver (started at `since`) has written its pid file. */
async function waitForArchiverStart(s: Setup, since: number): Promise<void> {
  const pidFile = join(s.spoolDir, 'archiver.pid');
  const deadline = Date.now() + 60_000;
  while (!existsSync(pidFile) || statSync(pidFile).mtimeMs < since - 1000) {
    if (Date.now() > deadline) throw new Error('the WAL archiver did not start within 60 s');
    await sleep(50);
  }
}

async function stopArchiver(archiver: RunningTool | undefined): Promise<void> {
  if (!archiver) return;
  await archiver.kill('SIGTERM');
  await archiver.result.catch(() => undefined);
}

function archiverCpuMs(s: Setup, archiver: RunningTool | undefined): number {
  const pg = readCpuMs(findPgArchiverPid(s.cluster.dataDir), s.clockTicks, true);
  return pg + (archiver?.pid ? readCpuMs(archiver.pid, s.clockTicks, true) : 0);
}

async function waitForDrain(s: Setup, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (getLag(await readArchiver(s.cluster.url())) > 0) {
    if (Date.now() > deadline) throw new Error('the archive did not catch up within 5 minutes');
    await sleep(250);
  }
}

interface LoadFigures {
  mode: string;
  archived: number;
  written: number;
  seconds: number;
  cpuMs: number;
  /** Segments archived from the start of the load until the archive caught up, and how long catching up took. */
  drained: number;
  drainMs: number;
  lagStart: number;
  lagEnd: number;
  lagMax: number;
  failed: number;
}

async function measureLoad(s: Setup, mode: string, archiver: RunningTool | undefined): Promise<LoadFigures> {
  const url = s.cluster.url('bench');
  const connection = splitConnectionUrl(url);
  const before = await readArchiver(url);
  const cpuBefore = archiverCpuMs(s, archiver);
  const started = performance.now();
  log(`${mode}: pgbench -c4 -T ${seconds} ...`);
  let running = true;
  const load = runTool(findPgTool('pgbench'), [...getLoadArgs(s, seconds), connection.url], {
    env: connection.env,
    timeoutMs: (seconds + 120) * 1000,
  }).finally(() => {
    running = false;
  });
  const rows: string[][] = [];
  const lags: number[] = [];
  let previous = before;
  for (let tick = 1; running; tick++) {
    await Promise.race([sleep(1000), load.catch(() => undefined)]);
    const now = await readArchiver(url);
    const lag = getLag(now);
    lags.push(lag);
    rows.push([
      String(tick),
      String(now.archived - previous.archived),
      String(now.archived - before.archived),
      now.current,
      now.lastArchived ?? '-',
      String(lag),
      String(countReady(s.cluster.dataDir)),
    ]);
    previous = now;
  }
  await load;
  const elapsed = (performance.now() - started) / 1000;
  const after = await readArchiver(url);
  // CPU per segment over every segment the load wrote: until the archive caught up with it
  const drainStarted = performance.now();
  await waitForDrain(s);
  const drainMs = performance.now() - drainStarted;
  const drained = await readArchiver(url);
  const cpuMs = archiverCpuMs(s, archiver) - cpuBefore;
  print(`\n## ${mode}: archive lag while pgbench -c4 runs (sampled every second)`);
  print(
    formatTable(
      ['s', 'archived/s', 'archived', 'current WAL', 'last archived', 'lag (segments)', '.ready'],
      rows,
    ),
  );
  return {
    mode,
    archived: after.archived - before.archived,
    written: Number(segmentOf(after.current) - segmentOf(before.current)),
    seconds: elapsed,
    cpuMs,
    drained: drained.archived - before.archived,
    drainMs,
    lagStart: getLag(before),
    lagEnd: getLag(after),
    lagMax: Math.max(0, ...lags),
    failed: after.failed - before.failed,
  };
}

/** Makes `burstSize` segments ready with archiving paused, then times how fast they are archived. */
async function measureBurst(
  s: Setup,
  mode: string,
  command: string,
  startAsync: () => RunningTool | undefined,
): Promise<{ segments: number; ms: number; archiver: RunningTool | undefined }> {
  const url = s.cluster.url('bench');
  await setArchiveCommand(url, '');
  await query(url, 'CREATE TABLE IF NOT EXISTS burst (v text)');
  log(`${mode}: making ${burstSize} segments ready with archiving paused ...`);
  while (countReady(s.cluster.dataDir) < burstSize) {
    // md5 text compresses like real rows do, unlike the zeros of a switched empty segment
    await query(
      url,
      'INSERT INTO burst SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, 100000)',
    );
    await query(url, 'SELECT pg_switch_wal()');
  }
  await query(url, 'TRUNCATE burst');
  const before = await readArchiver(url);
  const ready = countReady(s.cluster.dataDir);
  const since = Date.now();
  const archiver = startAsync();
  // the clock starts when the archiver runs (its pid file written), not while node loads it
  if (archiver) await waitForArchiverStart(s, since);
  const started = performance.now();
  await setArchiveCommand(url, command);
  while ((await readArchiver(url)).archived - before.archived < ready) await sleep(100);
  return { segments: ready, ms: performance.now() - started, archiver };
}

async function setUp(): Promise<Setup> {
  const root = join(tmpdir(), `preflight-bench-wal-${randomBytes(3).toString('hex')}`);
  mkdirSync(root, { recursive: true });
  // archive_command runs as the server's OS user: it reads the config and writes the storage and spool
  chmodSync(root, 0o755);
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const configPath = join(root, 'preflight.yaml');
  writeFileSync(configPath, `${JSON.stringify({ backups: { ageRecipients: [recipient] } })}\n`, {
    mode: 0o644,
  });
  const storageDir = join(root, 'storage');
  const spoolDir = join(root, 'spool');
  const plainWal = join(root, 'plain-wal');
  for (const dir of [storageDir, spoolDir, plainWal]) mkdirSync(dir, { mode: 0o700 });
  const runAs = getPostgresRunAs();
  if (runAs) await runTool('chown', ['-R', `${runAs.uid}:${runAs.gid}`, storageDir, spoolDir, plainWal]);
  const target = 'bench';
  const storageUrl = pathToFileURL(storageDir).toString();
  const partial = { root, target, configPath, storageUrl, spoolDir } as Setup;
  const cluster = await createCluster({
    dataDir: join(root, 'source'),
    password: randomBytes(12).toString('hex'),
    settings: {
      archive_mode: 'on',
      archive_command: getPushCommand(partial, false),
      wal_level: 'replica',
      max_wal_size: '2GB',
      checkpoint_timeout: '30min',
      timezone: 'UTC',
      log_timezone: 'UTC',
    },
  });
  const clockTicks = Number((await runTool('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  return {
    ...partial,
    cluster,
    identity,
    recipient,
    identityEnv: validateConfig({}).backups.ageIdentityEnv,
    clockTicks,
  };
}

function printLoadSummary(figures: LoadFigures[]): void {
  print('\n## Archiving under pgbench -c4');
  print(
    formatTable(
      [
        'mode',
        'segments written',
        'archived',
        'archived/s',
        'lag start',
        'lag end',
        'lag max',
        'keeps up',
        'catch-up after',
        'CPU/segment',
        'failures',
      ],
      figures.map((f) => [
        f.mode,
        String(f.written),
        String(f.archived),
        (f.archived / f.seconds).toFixed(2),
        String(f.lagStart),
        String(f.lagEnd),
        String(f.lagMax),
        f.lagEnd <= Math.max(f.lagStart, 1) ? 'yes' : 'no (lag grew)',
        formatDuration(f.drainMs),
        f.drained ? `${Math.round(f.cpuMs / f.drained)} ms` : '-',
        String(f.failed),
      ]),
    ),
  );
}

/** Plain baseline: a pg_basebackup -Fp copy, recovery.signal and restore_command = cp from a plain WAL copy. */
async function restorePlain(
  s: Setup,
  plainBase: string,
  plainWal: string,
): Promise<{ ms: number; replayed: number }> {
  const dataDir = join(s.root, 'restored-plain');
  const started = performance.now();
  await runTool('cp', ['-a', plainBase, dataDir]);
  const port = await getFreePort();
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    `${readFileSync(join(dataDir, 'postgresql.auto.conf'), 'utf8')}\narchive_mode = 'off'\nport = ${port}\nrestore_command = 'cp ${plainWal}/%f %p'\n`,
  );
  writeFileSync(join(dataDir, 'recovery.signal'), '');
  const runAs = getPostgresRunAs();
  if (runAs) await runTool('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dataDir]);
  await runTool('chmod', ['0700', dataDir]);
  const serverLog = join(dataDir, 'server.log');
  const pgCtl = findPgBinaries().path('pg_ctl');
  await runTool(pgCtl, ['-D', dataDir, '-l', serverLog, '-W', 'start'], { runAs, timeoutMs: 60_000 });
  try {
    const url = s.cluster.url().replace(`:${s.cluster.port}/`, `:${port}/`);
    for (;;) {
      const rows = await query<{ r: boolean }>(url, 'SELECT pg_is_in_recovery() AS r').catch(() => []);
      if (rows[0]?.r === false) break;
      await sleep(100);
    }
    const ms = performance.now() - started;
    const replayed = (readFileSync(serverLog, 'utf8').match(/restored log file "[0-9A-F]{24}"/g) ?? [])
      .length;
    return { ms, replayed };
  } finally {
    await stopServer(dataDir);
  }
}

async function measureRto(s: Setup): Promise<void> {
  const url = s.cluster.url();
  const plainWal = join(s.root, 'plain-wal');
  const plainBase = join(s.root, 'plain-base');
  // both restores replay the same WAL: archive_command keeps a plain copy of each file beside preflight's
  await setArchiveCommand(url, `cp %p ${plainWal}/%f && ${getPushCommand(s, false)}`);
  const backups = validateConfig({ backups: { ageRecipients: [s.recipient] } }).backups;
  const storage = openStorage(s.storageUrl, backups);
  try {
    log('RTO: plain pg_basebackup and preflight backup base ...');
    const connection = splitConnectionUrl(url);
    await runTool(
      findPgClientTool('pg_basebackup') ?? 'pg_basebackup',
      ['-D', plainBase, '-Fp', '-X', 'none', '-c', 'fast', '-d', connection.url],
      { env: connection.env, timeoutMs: 600_000 },
    );
    const base = await takeBaseBackup({
      target: s.target,
      adminUrl: url,
      storage,
      recipients: [s.recipient],
      compressLevel: backups.compressLevel,
      log,
    });
    log(`RTO: pgbench -T ${Math.min(seconds, 15)} after the base backups, then pg_switch_wal ...`);
    const bench = splitConnectionUrl(s.cluster.url('bench'));
    await runTool(findPgTool('pgbench'), [...getLoadArgs(s, Math.min(seconds, 15)), bench.url], {
      env: bench.env,
      timeoutMs: 300_000,
    });
    await query(url, 'SELECT pg_switch_wal()');
    await waitForDrain(s);
    log('RTO: preflight restore --latest (the drill restore path) ...');
    const report = await restoreToPoint({
      target: s.target,
      storage,
      storageUrl: s.storageUrl,
      configPath: s.configPath,
      identity: s.identity,
      identityEnv: s.identityEnv,
      request: { kind: 'latest' },
      baseId: base.id,
      intoDir: join(s.root, 'restored-preflight'),
      log,
    });
    log('RTO: plain restore ...');
    const plain = await restorePlain(s, plainBase, plainWal);
    const r = report.rto;
    print('\n## RTO: restore to the latest archived WAL');
    print(
      formatTable(
        ['restore', 'WAL replayed', 'plan', 'download+decrypt', 'prepare', 'replay', 'total'],
        [
          [
            'preflight restore (drill path)',
            String(report.segmentsReplayed),
            formatDuration(r.planMs),
            formatDuration(r.downloadMs),
            formatDuration(r.prepareMs),
            formatDuration(r.recoveryMs),
            formatDuration(r.totalMs),
          ],
          ['plain pg_basebackup + cp', String(plain.replayed), '-', '-', '-', '-', formatDuration(plain.ms)],
        ],
      ),
    );
    print(`ratio preflight/plain: ${(r.totalMs / plain.ms).toFixed(2)} (restore ok: ${report.ok})`);
    if (report.failure) {
      print(`restore failure: ${report.failure.code}: ${report.failure.message}`);
      print(readFileSync(report.serverLog, 'utf8').split('\n').slice(-15).join('\n'));
    }
  } finally {
    await storage.close();
  }
}

/** The drill itself (`backup drill --scratch`): its own cluster, markers, base backup, restore to a time. */
async function measureDrill(s: Setup): Promise<void> {
  log('drill: backup drill --scratch ...');
  const report = await runScratchDrill({ backups: validateConfig({}).backups, workRoot: s.root, log });
  const r = report.restore.rto;
  print('\n## The drill (backup drill --scratch): restore to a time between two markers');
  print(
    formatTable(
      ['ok', 'markers expected/found', 'RPO', 'WAL replayed', 'download+decrypt', 'replay', 'RTO total'],
      [
        [
          String(report.ok),
          `${report.expected.length}/${report.found.length}`,
          report.rpo.ageSeconds === null ? '-' : formatDuration(report.rpo.ageSeconds * 1000),
          String(report.restore.segmentsReplayed),
          formatDuration(r.downloadMs),
          formatDuration(r.recoveryMs),
          formatDuration(r.totalMs),
        ],
      ],
    ),
  );
  if (report.problem) print(`drill problem: ${report.problem}`);
}

async function main(): Promise<void> {
  if (!existsSync(join(repoRoot, 'dist', 'src', 'app', 'cli.js')))
    throw new Error('dist/ is missing: npm run build (npm run bench:wal builds first)');
  const s = await setUp();
  let archiver: RunningTool | undefined;
  try {
    const admin = s.cluster.url();
    await query(admin, 'CREATE DATABASE bench');
    const connection = splitConnectionUrl(s.cluster.url('bench'));
    log(`pgbench -i -s ${scale} ...`);
    await runTool(findPgTool('pgbench'), ['-i', '-s', String(scale), '-q', connection.url], {
      env: connection.env,
      timeoutMs: 1_800_000,
    });
    await query(s.cluster.url('bench'), 'CREATE TABLE wal_heavy (v text)');
    await waitForDrain(s);
    const figures: LoadFigures[] = [];
    const bursts: string[][] = [];
    for (const mode of ['sync', 'async'] as const) {
      const command = getPushCommand(s, mode === 'async');
      if (phases.has('load')) {
        if (mode === 'async') archiver = startArchiver(s);
        await setArchiveCommand(admin, command);
        await waitForDrain(s);
        figures.push(await measureLoad(s, mode, archiver));
        await stopArchiver(archiver);
        archiver = undefined;
      }
      if (phases.has('burst')) {
        const burst = await measureBurst(s, mode, command, () =>
          mode === 'async' ? startArchiver(s) : undefined,
        );
        archiver = burst.archiver;
        const rate = (burst.segments / (burst.ms / 1000)).toFixed(1);
        bursts.push([mode, String(burst.segments), formatDuration(burst.ms), rate]);
        await stopArchiver(archiver);
        archiver = undefined;
      }
    }
    if (figures.length) printLoadSummary(figures);
    if (bursts.length) {
      print('\n## Burst: segments ready at once (goal >= 10 segments/s)');
      print(formatTable(['mode', 'segments', 'time', 'segments/s'], bursts));
    }
    if (phases.has('rto')) await measureRto(s);
    if (phases.has('drill')) await measureDrill(s);
  } finally {
    await stopArchiver(archiver);
    await s.cluster.destroy().catch((error) => log(`cluster clean-up: ${(error as Error).message}`));
    rmSync(s.root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:wal failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
