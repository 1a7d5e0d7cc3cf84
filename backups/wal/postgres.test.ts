/**
 * WAL archiving from a real PostgreSQL 15 (archive_mode=on, archive_command = buildWalCommand('push', ...)) into a
 * directory and into a real s3rver subprocess: segments arrive and decrypt to the bytes in pg_wal; the CLI's exit
 * codes for a conflicting push, a missing, a damaged file; verify; storage down during archiving (PostgreSQL
 * retries, nothing lost); the async archiver with the bin/preflight-wal.js fast path on a burst of segments.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/load.js';
import { type Cluster, createCluster, getPostgresRunAs } from '../../src/core/pg/cluster.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import {
  createAgeKeys,
  removeTempDirs,
  type S3rverProcess,
  s3Env,
  startS3rver,
} from '../fixtures/support.js';
import { readMetricValue } from '../metrics.js';
import { createFileStorage } from '../storage/file.js';
import { openStorage } from '../storage/index.js';
import { buildWalCommand, findWalEntry } from './command.js';
import { parseWalFileName } from './names.js';
import { getWalObjectKey, listWalArchive } from './store.js';
import { verifyWalArchive } from './verify.js';

const runAs = getPostgresRunAs();

describe('WAL archiving from PostgreSQL', () => {
  let keys: { identity: string; recipient: string };
  let s3: S3rverProcess;
  let dir: string;
  let configPath: string;
  let textfileDir: string;
  let fileStorageDir: string;
  const clusters: Cluster[] = [];
  const clients: pg.Client[] = [];
  const savedEnv = { ...process.env };

  const giveToServer = (path: string) => {
    if (runAs) chownSync(path, runAs.uid, runAs.gid);
  };

  beforeAll(async () => {
    [keys, s3] = await Promise.all([createAgeKeys(), startS3rver('wal')]);
    dir = makeTempDir('wal-pg-');
    chmodSync(dir, 0o755);
    textfileDir = join(dir, 'metrics');
    fileStorageDir = join(dir, 'storage');
    for (const d of [textfileDir, fileStorageDir]) {
      mkdirSync(d);
      giveToServer(d);
    }
    const identityFile = join(dir, 'key.txt');
    writeFileSync(identityFile, `# test key\n${keys.identity}\n`, { mode: 0o600 });
    giveToServer(identityFile);
    configPath = join(dir, 'preflight.yaml');
    // JSON is YAML
    const config = {
      backups: {
        ageRecipients: [keys.recipient],
        ageIdentityFile: identityFile,
        s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 },
        storageTimeout: 5,
        textfileDir,
      },
    };
    validateConfig(config);
    writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o644 });
    // the server's environment reaches archive_command: the S3 credentials come from it
    Object.assign(process.env, s3Env());
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    for (const cluster of clusters) await cluster.destroy();
    await s3?.stop();
    for (const key of Object.keys(s3Env())) if (savedEnv[key] === undefined) delete process.env[key];
    removeTempDirs();
  });

  async function startArchivingCluster(name: string, archiveCommand: string) {
    const cluster = await createCluster({
      dataDir: join(dir, name),
      password: 'pw',
      settings: {
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: archiveCommand,
        wal_keep_size: '1GB',
        max_wal_size: '1GB',
      },
    });
    clusters.push(cluster);
    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    clients.push(client);
    await client.query('create table marks (id serial primary key, at timestamptz default now())');
    return { cluster, client };
  }

  /** A write then a switch: the segment it ends is handed to archive_command. Returns that segment's name. */
  async function switchWal(client: pg.Client): Promise<string> {
    await client.query('insert into marks default values');
    const { rows } = await client.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
    return (rows[0] as { name: string }).name;
  }

  async function archiver(client: pg.Client) {
    const { rows } = await client.query<{ archived: string; failed: string; last: string | null }>(
      'select archived_count::text as archived, failed_count::text as failed, last_archived_wal as last from pg_stat_archiver',
    );
    const row = rows[0] as { archived: string; failed: string; last: string | null };
    return { archived: Number(row.archived), failed: Number(row.failed), last: row.last };
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const readyFiles = (cluster: Cluster) =>
    readdirSync(join(cluster.dataDir, 'pg_wal', 'archive_status')).filter((n) => n.endsWith('.ready'));

  function runWal(args: string[]) {
    const result = spawnSync(process.execPath, [findWalEntry(), ...args, '--config', configPath], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  let fileCluster: { cluster: Cluster; client: pg.Client };
  const fileUrl = () => pathToFileURL(fileStorageDir).href;

  it('archives segments into file storage; each decrypts to the bytes in pg_wal; metrics are written', async () => {
    fileCluster = await startArchivingCluster(
      'file',
      buildWalCommand('push', { target: 'pgfile', configPath, storage: fileUrl() }),
    );
    const { client, cluster } = fileCluster;
    const switched = [await switchWal(client), await switchWal(client), await switchWal(client)];
    await waitFor('three segments archived', async () => (await archiver(client)).last === switched[2]);
    expect((await archiver(client)).failed).toBe(0);
    const storage = createFileStorage(fileStorageDir);
    const names = (await listWalArchive({ storage, target: 'pgfile' })).map((e) => e.fileName);
    for (const name of switched) expect(names).toContain(name);
    for (const name of switched) {
      const dest = join(dir, `fetched-${name}`);
      const fetched = runWal(['fetch', name, dest, '--target', 'pgfile', '--storage', fileUrl()]);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(readFileSync(dest).equals(readFileSync(join(cluster.dataDir, 'pg_wal', name)))).toBe(true);
    }
    const metrics = readFileSync(join(textfileDir, 'preflight_wal_pgfile.prom'), 'utf8');
    expect(
      readMetricValue(metrics, 'preflight_wal_last_archived_timestamp_seconds', 'pgfile'),
    ).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(readMetricValue(metrics, 'preflight_wal_archive_failures_total', 'pgfile')).toBe(0);
  }, 180_000);

  it('exits non-zero on a conflicting push, 1 on a missing file, 1 with E_WAL_INTEGRITY on a damaged one; verify finds both faults', async () => {
    const storage = createFileStorage(fileStorageDir);
    const [first, second, third] = (await listWalArchive({ storage, target: 'pgfile' })).filter(
      (e) => e.kind === 'segment',
    );
    if (!first || !second || !third) throw new Error('expected three archived segments');
    const common = ['--target', 'pgfile', '--storage', fileUrl()];
    const impostor = join(dir, 'impostor', first.fileName);
    mkdirSync(join(dir, 'impostor'));
    writeFileSync(impostor, Buffer.alloc(16 * 1024 * 1024, 7));
    const conflict = runWal(['push', impostor, ...common]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('E_WAL');
    expect(conflict.stderr).toContain('different content');

    const missing = runWal(['fetch', '0000000100000000000000FE', join(dir, 'nothing'), ...common]);
    expect(missing.code).toBe(1);
    expect(existsSync(join(dir, 'nothing'))).toBe(false);

    const body = await storage.getBytes(second.key);
    body[body.length - 10] = (body[body.length - 10] as number) ^ 0x55;
    await storage.putBytes(second.key, body);
    const damaged = runWal(['fetch', second.fileName, join(dir, 'damaged'), ...common]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('E_WAL_INTEGRITY');
    expect(damaged.stderr).toContain(second.fileName);

    await storage.deleteKeys([third.key]);
    const verify = runWal(['verify', ...common, '--json']);
    expect(verify.code).toBe(1);
    const report = JSON.parse(verify.stdout) as {
      ok: boolean;
      mismatches: string[];
      gaps: Array<{ missing: string[] }>;
    };
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([second.fileName]);
    // the removed one is a gap only when a later segment is archived: one more switch makes sure
    await switchWal(fileCluster.client);
    const last = await switchWal(fileCluster.client);
    await waitFor(
      'the next segments archived',
      async () => (await archiver(fileCluster.client)).last === last,
    );
    const again = JSON.parse(runWal(['verify', ...common, '--json']).stdout) as typeof report;
    expect(again.gaps.flatMap((g) => g.missing)).toEqual([third.fileName]);
  }, 180_000);

  it('storage down during archiving: the push fails, PostgreSQL retries, and once S3 is back every segment is archived', async () => {
    const { client } = await startArchivingCluster(
      's3',
      buildWalCommand('push', { target: 'pgs3', configPath, storage: 's3://wal/archive' }),
    );
    const before = await switchWal(client);
    await waitFor('the first segment archived', async () => (await archiver(client)).last === before);
    await s3.stop();
    const during: string[] = [];
    try {
      for (let i = 0; i < 3; i++) during.push(await switchWal(client));
      await waitFor('a failed archive attempt', async () => (await archiver(client)).failed > 0);
      expect((await archiver(client)).last).toBe(before);
    } finally {
      await s3.start();
    }
    await waitFor(
      'the segments of the outage archived',
      async () => (await archiver(client)).last === during[2],
    );
    const config = validateConfig(JSON.parse(readFileSync(configPath, 'utf8')));
    const storage = openStorage('s3://wal/archive', config.backups, { env: s3Env() });
    try {
      const names = (await listWalArchive({ storage, target: 'pgs3' })).map((e) => e.fileName);
      for (const name of [before, ...during]) expect(names).toContain(name);
      const verified = await verifyWalArchive({ storage, target: 'pgs3', identities: [keys.identity] });
      expect(verified).toMatchObject({ ok: true, gaps: [], mismatches: [] });
    } finally {
      await storage.close();
    }
    const metrics = readFileSync(join(textfileDir, 'preflight_wal_pgs3.prom'), 'utf8');
    expect(readMetricValue(metrics, 'preflight_wal_archive_failures_total', 'pgs3')).toBeGreaterThan(0);
  }, 240_000);

  it('the async archiver stores a burst ahead of PostgreSQL; wal push --async answers from the spool', async () => {
    const { client, cluster } = fileCluster;
    const spoolDir = join(dir, 'spool');
    const command = buildWalCommand('push', {
      target: 'pgasync',
      configPath,
      storage: fileUrl(),
      async: true,
      spoolDir,
    });
    await client.query(`alter system set archive_command = '${command.replace(/'/g, "''")}'`);
    await client.query('select pg_reload_conf()');
    const logBefore = readFileSync(join(cluster.dataDir, 'server.log'), 'utf8').length;
    // the real command, as root: it must become the data directory's owner and stop cleanly on SIGTERM
    const child = spawn(
      process.execPath,
      [
        findWalEntry(),
        'archiver',
        '--pgdata',
        cluster.dataDir,
        '--spool-dir',
        spoolDir,
        '--target',
        'pgasync',
        '--storage',
        fileUrl(),
        '--config',
        configPath,
        '--json',
        '--verbose',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const burst: string[] = [];
    try {
      await waitFor('the archiver watching', async () => stderr.includes('archiver: watching'));
      for (let i = 0; i < 20; i++) burst.push(await switchWal(client));
      await waitFor(
        'the burst archived',
        async () => (await archiver(client)).last === burst.at(-1) && readyFiles(cluster).length === 0,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).toMatch(/archiver: running as uid \d+/);
    const summary = JSON.parse(stdout) as { archived: number; failures: number };
    expect(summary.archived).toBeGreaterThanOrEqual(20);
    const metrics = readFileSync(join(textfileDir, 'preflight_wal_pgasync.prom'), 'utf8');
    expect(readMetricValue(metrics, 'preflight_wal_archive_lag_segments', 'pgasync')).toBe(0);
    expect(
      readMetricValue(metrics, 'preflight_wal_last_archived_timestamp_seconds', 'pgasync'),
    ).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(existsSync(join(spoolDir, 'archiver.pid'))).toBe(false);
    // every marker was taken by a push, and none of those pushes loaded the full CLI
    expect(readdirSync(join(spoolDir, 'archived'))).toEqual([]);
    const log = readFileSync(join(cluster.dataDir, 'server.log'), 'utf8').slice(logBefore);
    expect(log).not.toContain('wal push:');
    expect(log).not.toMatch(/archive command failed/);
    const storage = createFileStorage(fileStorageDir);
    const verified = await verifyWalArchive({ storage, target: 'pgasync', identities: [keys.identity] });
    expect(verified).toMatchObject({ ok: true, gaps: [], mismatches: [] });
    expect(verified.timelines[0]?.segments).toBeGreaterThanOrEqual(20);
    const names = (await listWalArchive({ storage, target: 'pgasync' })).map((e) => e.fileName);
    for (const name of burst) expect(names).toContain(name);
    expect(parseWalFileName(verified.timelines[0]?.first ?? '')?.kind).toBe('segment');
    expect(await storage.exists(getWalObjectKey('pgasync', verified.timelines[0]?.last ?? ''))).toBe(true);
  }, 240_000);
});
