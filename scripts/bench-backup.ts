/**
 * `npm run bench:backup`: on a throwaway cluster with a pgbench database of at least 1 GB (pgbench -i -s 70),
 * compares `preflight backup run` throughput with `pg_dump` alone to /dev/null (goal: ratio >= 0.85), and
 * the whole verify (download to last comparison) with plain `pg_restore -j 2` of the same dump (goal: ratio <= 1.3).
 * Prints both ratios.
 * Options: BENCH_SCALE (default 70), BENCH_ROUNDS (default 3; the order alternates each round and the best of each is compared), BENCH_CHECKSUM
 * (hashcolumns, the default of backups.checksum; hashrecord; hashtext; md5).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import pg from 'pg';
import { decryptStream } from '../backups/crypto.js';
import type { ChecksumMethod } from '../backups/figures.js';
import { createScratchDatabase } from '../backups/restore.js';
import { defaultRetryPolicy } from '../backups/retry.js';
import { runBackup } from '../backups/run.js';
import { createFileStorage } from '../backups/storage/file.js';
import { findPgTool, splitConnectionUrl } from '../backups/tools.js';
import { verifyBackup } from '../backups/verify.js';
import { formatBytes, formatDuration } from '../src/core/output.js';
import { createCluster } from '../src/core/pg/cluster.js';
import { runTool } from '../src/core/process.js';

const scale = Number(process.env.BENCH_SCALE ?? 70);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const compressLevel = 6;
const checksumMethod = (process.env.BENCH_CHECKSUM ?? 'hashcolumns') as ChecksumMethod;
const log = (message: string) => process.stderr.write(`[bench:backup] ${message}\n`);

async function timeIt<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const root = join(tmpdir(), `preflight-bench-backup-${randomBytes(3).toString('hex')}`);
  mkdirSync(root, { recursive: true });
  const cluster = await createCluster({
    dataDir: join(root, 'data'),
    password: randomBytes(12).toString('hex'),
    settings: { shared_buffers: '512MB', max_wal_size: '4GB', checkpoint_timeout: '30min' },
  });
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const url = cluster.url('bench');
    const connection = splitConnectionUrl(url);
    log(`pgbench -i -s ${scale} ...`);
    const init = await timeIt(() =>
      runTool(findPgTool('pgbench'), ['-i', '-s', String(scale), '-q', '--no-vacuum', connection.url], {
        env: connection.env,
        timeoutMs: 3_600_000,
      }),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('VACUUM ANALYZE');
    const size = Number(
      (await client.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size'))
        .rows[0]?.size,
    );
    await client.end();
    log(`database ${formatBytes(size)} after ${formatDuration(init.ms)}`);

    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const storage = createFileStorage(join(root, 'storage'));
    const pgDump = findPgTool('pg_dump');
    const dumpTimes: number[] = [];
    const backupTimes: number[] = [];
    let lastBackupId = '';
    let storedBytes = 0;
    const runDump = async (round: number) => {
      const dump = await timeIt(() =>
        runTool(pgDump, ['--format=custom', `--compress=${compressLevel}`, `--dbname=${connection.url}`], {
          env: connection.env,
          stdoutTo: createWriteStream('/dev/null'),
          timeoutMs: 3_600_000,
        }),
      );
      dumpTimes.push(dump.ms);
      log(`round ${round}: pg_dump -Fc -Z${compressLevel} > /dev/null: ${formatDuration(dump.ms)}`);
    };
    const runBackupRound = async (round: number) => {
      const backup = await timeIt(() =>
        runBackup({
          target: 'bench',
          adminUrl: url,
          storage,
          recipients: [recipient],
          compressLevel,
          checksumMethod,
          metrics: {},
          log: (message) => log(`round ${round}:   ${message}`),
        }),
      );
      backupTimes.push(backup.ms);
      lastBackupId = backup.value.id;
      storedBytes = backup.value.manifest.objects.reduce((s, o) => s + o.size, 0);
      log(
        `round ${round}: preflight backup run: ${formatDuration(backup.ms)} (${formatBytes(storedBytes)} stored, ${backup.value.manifest.tables.length} tables counted and checksummed)`,
      );
    };
    // alternate which goes first in each round
    for (let round = 1; round <= rounds; round++) {
      if (round % 2 === 1) {
        await runDump(round);
        await runBackupRound(round);
      } else {
        await runBackupRound(round);
        await runDump(round);
      }
    }
    const bestDump = Math.min(...dumpTimes);
    const bestBackup = Math.min(...backupTimes);

    const manifestDump = (await storage.getBytes(`bench/base/${lastBackupId}/manifest.json`)).toString(
      'utf8',
    );
    const dumpObject = (JSON.parse(manifestDump) as { objects: Array<{ key: string }> }).objects[0]!;
    const plainDir = join(root, 'plain');
    mkdirSync(plainDir, { recursive: true });
    const dumpFile = join(plainDir, 'dump.pgcustom');
    await pipeline(
      await decryptStream(
        createReadStream(join(root, 'storage', ...dumpObject.key.split('/'))),
        identity,
        dumpObject.key,
      ),
      createWriteStream(dumpFile),
    );
    const verifyRestoreTimes: number[] = [];
    const plainTimes: number[] = [];
    let verified: Awaited<ReturnType<typeof verifyBackup>> | undefined;
    const runVerify = async (round: number) => {
      verified = await verifyBackup({
        target: 'bench',
        storage,
        id: lastBackupId,
        identity,
        workDir: join(root, 'work'),
        restoreJobs: 2,
        metrics: {},
        retry: defaultRetryPolicy,
      });
      if (!verified.record.ok)
        throw new Error(
          `verify failed: ${JSON.stringify(verified.record.error ?? verified.record.tables.mismatched)}`,
        );
      // the whole verify: download, decrypt, scratch database, restore, every comparison and check
      verifyRestoreTimes.push(verified.record.rto.totalMs);
      log(
        `round ${round}: verify: ${formatDuration(verified.record.rto.totalMs)} (pg_restore ${formatDuration(verified.record.rto.restoreMs)})`,
      );
    };
    const runPlain = async (round: number) => {
      const scratch = await createScratchDatabase(
        join(plainDir, `round-${round}`),
        undefined,
        'plain_restore',
      );
      try {
        const scratchConnection = splitConnectionUrl(scratch.url);
        const plain = await timeIt(() =>
          runTool(findPgTool('pg_restore'), ['-j', '2', `--dbname=${scratchConnection.url}`, dumpFile], {
            env: scratchConnection.env,
            timeoutMs: 3_600_000,
          }),
        );
        plainTimes.push(plain.ms);
        log(`round ${round}: plain pg_restore -j 2: ${formatDuration(plain.ms)}`);
      } finally {
        await scratch.drop();
      }
    };
    // alternate which goes first, so neither always inherits the other's leftovers (page cache, writeback)
    for (let round = 1; round <= rounds; round++) {
      if (round % 2 === 1) {
        await runVerify(round);
        await runPlain(round);
      } else {
        await runPlain(round);
        await runVerify(round);
      }
    }
    const plainMs = Math.min(...plainTimes);
    const verifyRestoreMs = Math.min(...verifyRestoreTimes);

    const backupRatio = bestDump / bestBackup;
    const restoreRatio = verifyRestoreMs / plainMs;
    const restoreGoal = 1.3;
    const mbps = (ms: number) => `${(size / 1048576 / (ms / 1000)).toFixed(1)} MiB/s`;
    const r = verified!.record.rto;
    const lines = [
      `database: ${formatBytes(size)} (pgbench -s ${scale}); dump stored: ${formatBytes(storedBytes)}; rounds: ${rounds} (best of each); checksum: ${checksumMethod}`,
      `pg_dump -Fc -Z${compressLevel} > /dev/null: ${formatDuration(bestDump)} (${mbps(bestDump)}) [${dumpTimes.map((t) => formatDuration(t)).join(', ')}]`,
      `preflight backup run:          ${formatDuration(bestBackup)} (${mbps(bestBackup)}) [${backupTimes.map((t) => formatDuration(t)).join(', ')}]`,
      `backup throughput ratio (backup / pg_dump alone): ${backupRatio.toFixed(3)}  goal >= 0.85  ${backupRatio >= 0.85 ? 'MET' : 'NOT MET'}`,
      `verify RTO (last round) ${formatDuration(r.totalMs)}: download ${formatDuration(r.downloadMs)}, decrypt ${formatDuration(r.decryptMs)}, scratch cluster ${formatDuration(r.prepareMs)}, restore ${formatDuration(r.restoreMs)}, checks ${formatDuration(r.checksMs)}`,
      `whole verify, download to last comparison (best): ${formatDuration(verifyRestoreMs)} [${verifyRestoreTimes.map((t) => formatDuration(t)).join(', ')}]`,
      `plain pg_restore -j 2 (best):    ${formatDuration(plainMs)} [${plainTimes.map((t) => formatDuration(t)).join(', ')}]`,
      `restore time ratio (whole verify / plain pg_restore -j 2): ${restoreRatio.toFixed(3)}  goal <= ${restoreGoal}  ${restoreRatio <= restoreGoal ? 'MET' : 'NOT MET'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cluster.destroy().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
