// The opt-in real PgBouncer restart of connection-loss against a real PgBouncer daemon (`pgbouncer -d`, transaction
// mode) in front of a real PostgreSQL: stopped by SHUTDOWN on the admin console or by SIGINT to the pidfile's pid,
// started again, and answering with a new pid.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/core/cli/context.js';
import { getFreePort } from '../../src/core/net.js';
import { type Cluster, createCluster, getPostgresRunAs } from '../../src/core/pg/cluster.js';
import { runTool } from '../../src/core/process.js';
import { createSessions, isAlive } from '../../test/helpers/pg-sessions.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import {
  analyzeConnectionLoss,
  describeConnectionLoss,
  planConnectionLoss,
  startConnectionLoss,
} from './connection-loss.js';
import { parsePgbouncerIni, restartPgbouncer } from './pgbouncer-restart.js';
import { resolvePgbouncerRestart } from './pooler-admin.js';

const password = 'pgb-restart-pw';
const adminPassword = 'pgb-restart-admin';

let cluster: Cluster;
let ini: string;
let pidfile: string;
let port: number;

const readPid = () => Number(readFileSync(pidfile, 'utf8').trim());
const url = (user: string, pw: string, database: string) =>
  `postgresql://${user}:${pw}@127.0.0.1:${port}/${database}`;
const pooledUrl = () => url('postgres', password, 'app');
const adminUrl = () => url('pgb_admin', adminPassword, 'pgbouncer');

beforeAll(async () => {
  const dir = makeTempDir('preflight-pgb-restart-');
  cluster = await createCluster({ dataDir: join(dir, 'data'), password });
  port = await getFreePort();
  const bouncerDir = join(dir, 'pgbouncer');
  execFileSync('mkdir', ['-p', bouncerDir]);
  writeFileSync(
    join(bouncerDir, 'userlist.txt'),
    `"postgres" "${password}"\n"pgb_admin" "${adminPassword}"\n`,
    { mode: 0o600 },
  );
  ini = join(bouncerDir, 'pgbouncer.ini');
  pidfile = join(bouncerDir, 'pgbouncer.pid');
  writeFileSync(
    ini,
    [
      '[databases]',
      `app = host=${cluster.host} port=${cluster.port} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(bouncerDir, 'userlist.txt')}`,
      'admin_users = pgb_admin',
      'pool_mode = transaction',
      'default_pool_size = 2',
      `pidfile = ${pidfile}`,
      `logfile = ${join(bouncerDir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const runAs = getPostgresRunAs();
  if (runAs) execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, bouncerDir]);
  await runTool('/usr/sbin/pgbouncer', ['-d', ini], { runAs });
  // the daemon listens a moment after `pgbouncer -d` returns
  for (let i = 0; ; i++) {
    const probe = new pg.Client({ connectionString: adminUrl() });
    probe.on('error', () => undefined);
    const up = await probe.connect().then(
      () => true,
      () => false,
    );
    await probe.end().catch(() => undefined);
    if (up) break;
    if (i > 150) throw new Error(`pgbouncer did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await closeAll();
  try {
    const pid = readPid();
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
  } catch {
    // gone (or never started)
  }
  await cluster?.destroy();
});

const { open, closeAll } = createSessions();

/** Running, not exited: a zombie waiting for its reaper (the daemon's parent is init) has exited. */
const isRunning = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('PgBouncer restart', () => {
  it('reads the listen address, port and pidfile of the [pgbouncer] section', () => {
    const text =
      '[databases]\nlisten_port = 1\n[pgbouncer]\n; comment\nlisten_addr = *\nlisten_port = 7000\npidfile = run/p.pid\n';
    expect(parsePgbouncerIni(text, '/etc/pgb')).toEqual({
      host: '127.0.0.1',
      port: 7000,
      pidfile: '/etc/pgb/run/p.pid',
    });
  });

  it('connection-loss with pgbouncerRestart stops PgBouncer by SHUTDOWN, starts it again, and reports the restart', async () => {
    const pooled = await open(pooledUrl());
    expect(await isAlive(pooled)).toBe(true);
    const oldPid = readPid();
    const action = startConnectionLoss({
      atSeconds: 1,
      adminUrl: cluster.url(),
      role: '',
      applicationName: 'nobody-by-this-name',
      poolerAdminUrl: adminUrl(),
      pgbouncerRestart: { configFile: ini },
    });
    action.arm(Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 50));
    const event = await action.stop();
    expect(event.errors).toEqual([]);
    expect(event.poolerAction).toBe('restart');
    expect(event.poolerRestart?.stoppedBy).toBe('SHUTDOWN');
    expect(event.poolerRestart?.oldPid).toBe(oldPid);
    const newPid = readPid();
    expect(event.poolerRestart?.newPid).toBe(newPid);
    expect(newPid).not.toBe(oldPid);
    expect(isRunning(oldPid)).toBe(false);
    expect(isRunning(newPid)).toBe(true);
    expect(await isAlive(pooled)).toBe(false);
    expect(await isAlive(await open(pooledUrl()))).toBe(true);
    // the restart counts as the drop, and the report says which of the two happened
    const report = analyzeConnectionLoss([], event, {
      recoverySeconds: 10,
      failedRate: 0.01,
      p95Ms: 500,
      errorRate: 0.01,
    });
    expect(report.reasons.join('\n')).not.toMatch(/no database session was terminated/);
    expect(describeConnectionLoss(report)[0]).toMatch(
      new RegExp(`PgBouncer restarted \\(SHUTDOWN, pid ${oldPid} -> ${newPid}, down \\d+ ms\\)`),
    );
  }, 60_000);

  it('without an admin URL it stops PgBouncer with SIGINT to the pidfile pid; PgBouncer answers again with a new pid', async () => {
    const oldPid = readPid();
    const result = await restartPgbouncer(ini);
    expect(result.stoppedBy).toBe('SIGINT');
    expect(result.oldPid).toBe(oldPid);
    expect(result.newPid).toBe(readPid());
    expect(result.newPid).not.toBe(oldPid);
    expect(isRunning(oldPid)).toBe(false);
    expect(await isAlive(await open(pooledUrl()))).toBe(true);
    const admin = await open(adminUrl());
    const { rows } = await admin.query('SHOW DATABASES');
    expect(rows.map((r: { name: string }) => r.name)).toContain('app');
  }, 60_000);

  it('an admin console that refuses the login falls back to SIGINT to the pidfile pid', async () => {
    const oldPid = readPid();
    const result = await restartPgbouncer(ini, {
      adminUrl: url('pgb_admin', 'not-the-password', 'pgbouncer'),
    });
    expect(result.stoppedBy).toBe('SIGINT');
    expect(result.newPid).not.toBe(oldPid);
    expect(isRunning(oldPid)).toBe(false);
    expect(await isAlive(await open(pooledUrl()))).toBe(true);
  }, 60_000);

  it('load run reads pool.pgbouncerRestart.configFile relative to the config file; no key keeps KILL + RESUME', () => {
    const dir = makeTempDir('preflight-pgb-config-');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(
      join(dir, 'conf', 'preflight.yaml'),
      [
        'targets:',
        '  staging:',
        '    baseUrl: https://api.staging.example.com',
        '    pool:',
        '      pgbouncerRestart:',
        '        configFile: pgbouncer/pgbouncer.ini',
        '  production:',
        '    baseUrl: https://api.example.com',
        '',
      ].join('\n'),
    );
    const context = createContext(
      { config: join(dir, 'conf', 'preflight.yaml'), json: false, verbose: false, color: false },
      { cwd: dir, env: {} },
    );
    expect(resolvePgbouncerRestart(context, context.resolveTarget('staging'))).toEqual({
      configFile: join(dir, 'conf', 'pgbouncer', 'pgbouncer.ini'),
    });
    expect(resolvePgbouncerRestart(context, context.resolveTarget('production'))).toBeUndefined();
  });

  it('connection-loss refuses an ini without a pidfile before the run starts (E_CONFIG)', () => {
    const dir = makeTempDir('preflight-pgb-plan-');
    writeFileSync(
      join(dir, 'preflight.yaml'),
      [
        'targets:',
        '  staging:',
        '    baseUrl: https://api.staging.example.com',
        '    database:',
        '      adminUrlEnv: STAGING_ADMIN_URL',
        '    platform:',
        '      database:',
        '        appRole: api',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'bare.ini'), `[pgbouncer]\nlisten_port = ${port}\n`);
    const context = createContext(
      { json: false, verbose: false, color: false },
      { cwd: dir, env: { STAGING_ADMIN_URL: cluster.url() } },
    );
    const target = context.resolveTarget('staging');
    expect(() => planConnectionLoss(target, {}, undefined, { configFile: join(dir, 'bare.ini') })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', hint: expect.stringMatching(/pidfile/) }),
    );
    expect(planConnectionLoss(target, {}, undefined, { configFile: ini }).pgbouncerRestart).toEqual({
      configFile: ini,
    });
  });

  it('an ini without a pidfile is a config error naming the fix', async () => {
    const bare = join(makeTempDir('preflight-pgb-bare-'), 'bare.ini');
    writeFileSync(bare, `[pgbouncer]\nlisten_port = ${port}\n`);
    await expect(restartPgbouncer(bare)).rejects.toMatchObject({
      code: 'E_CONFIG',
      hint: expect.stringMatching(/pidfile/),
    });
  });
});
