import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import { getFreePort } from '../../core/net.js';
import { type Cluster, createCluster } from '../../core/pg/cluster.js';
import type { DoctorReport } from './checks.js';

const work = mkdtempSync(join(tmpdir(), 'doctor-test-'));
/** No config file and no running sandbox: only what this test sets up is seen. */
const isolated = { PREFLIGHT_HOME: join(work, 'home'), PREFLIGHT_CONFIG: '', PREFLIGHT_PG_BINDIR: '' };

function writeConfig(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, body);
  return path;
}

function parseReport(stdout: string): DoctorReport {
  return JSON.parse(stdout) as DoctorReport;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('preflight doctor (the real CLI as a subprocess)', () => {
  it('reports missing PostgreSQL binaries with an install hint and exits 4', async () => {
    const empty = join(work, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const table = await runCli(['doctor'], { cwd: work, env: { ...isolated, PREFLIGHT_PG_BINDIR: empty } });
    expect(table.code).toBe(4);
    expect(table.stdout).toMatch(
      /PostgreSQL binaries\s+missing\s+-\s+PostgreSQL binaries not found: no initdb, pg_ctl and postgres in .*empty-bin/,
    );
    expect(table.stdout).toContain('fix: apt-get install postgresql');
    expect(table.stdout).toContain(
      'Missing required tools: PostgreSQL binaries, initdb, pg_ctl, postgres, pg_dump',
    );

    const json = await runCli(['doctor', '--json'], {
      cwd: work,
      env: { ...isolated, PREFLIGHT_PG_BINDIR: empty },
    });
    expect(json.code).toBe(4);
    const report = parseReport(json.stdout);
    expect(report).toMatchObject({ ok: false, exitCode: 4 });
    expect(report.problems.find((c) => c.id === 'postgresql')).toMatchObject({
      status: 'missing',
      required: true,
      hint: expect.stringContaining('apt-get install postgresql'),
    });
  });

  it('exits 0 on a healthy machine and prints every check as JSON', async () => {
    const { code, stdout } = await runCli(['doctor', '--json'], { cwd: work, env: isolated });
    expect(code).toBe(0);
    const report = parseReport(stdout);
    expect(report).toMatchObject({ ok: true, exitCode: 0, target: { name: 'sandbox', explicit: false } });
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual([
        'detail',
        'group',
        'hint',
        'id',
        'name',
        'required',
        'status',
        'version',
      ]);
      expect(['ok', 'warn', 'fail', 'missing']).toContain(check.status);
    }
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('node')).toMatchObject({ status: 'ok', version: process.versions.node });
    for (const tool of [
      'postgresql',
      'initdb',
      'pg_ctl',
      'postgres',
      'pg_dump',
      'pg_restore',
      'pg_basebackup',
      'pgbench',
      'psql',
    ]) {
      expect(byId.get(tool)).toMatchObject({
        status: 'ok',
        required: true,
        version: expect.stringMatching(/^\d+/),
      });
    }
    for (const tool of [
      'k6',
      'promtool',
      'prometheus',
      'pushgateway',
      'pgbouncer',
      'chromium',
      'age',
      'terraform',
      'cdktn',
    ]) {
      expect(byId.get(tool)).toMatchObject({ group: 'optional', required: false });
    }
    // the default target is not running: a warning with the fix, not a failure
    expect(byId.get('target-health')).toMatchObject({
      status: 'warn',
      hint: expect.stringContaining('sandbox up'),
    });
    expect(report.problems.every((c) => c.status !== 'ok')).toBe(true);
  });

  it('finds k6 through K6_BIN and reads its version', async () => {
    const bin = join(work, 'fake-k6');
    writeFileSync(bin, '#!/bin/sh\necho "k6 v0.99.1 (go1.22, linux/amd64)"\n');
    chmodSync(bin, 0o755);
    const { code, stdout } = await runCli(['doctor', '--json'], {
      cwd: work,
      env: { ...isolated, K6_BIN: bin },
    });
    expect(code).toBe(0);
    expect(parseReport(stdout).checks.find((c) => c.id === 'k6')).toMatchObject({
      status: 'ok',
      version: '0.99.1',
      detail: bin,
    });
  });

  it('exits 3 when an explicitly named target does not answer', async () => {
    const port = await getFreePort();
    const config = writeConfig('down.yaml', `targets:\n  down:\n    baseUrl: http://127.0.0.1:${port}\n`);
    const { code, stdout } = await runCli(['doctor', '--target', 'down', '--config', config, '--no-color'], {
      cwd: work,
      env: isolated,
    });
    expect(code).toBe(3);
    expect(stdout).toMatch(/API of down\s+fail/);
    expect(stdout).toContain('Target "down" is unreachable.');
    const sandbox = await runCli(['doctor', '--target', 'sandbox', '--json'], { cwd: work, env: isolated });
    expect(sandbox.code).toBe(3);
    expect(parseReport(sandbox.stdout).problems).toContainEqual(
      expect.objectContaining({ id: 'target-health', status: 'fail' }),
    );
  });

  it('exits 2 for an invalid config and names the key', async () => {
    const config = writeConfig('bad.yaml', 'targets:\n  stage:\n    baseUrl: not-a-url\n');
    const { code, stdout } = await runCli(['doctor', '--config', config, '--json'], {
      cwd: work,
      env: isolated,
    });
    expect(code).toBe(2);
    expect(parseReport(stdout).problems.find((c) => c.id === 'config')?.detail).toContain(
      'targets.stage.baseUrl',
    );
  });
});

describe('preflight doctor against a target with a real API and a real PostgreSQL', () => {
  let cluster: Cluster;
  let server: Server;
  let baseUrl: string;
  const password = 'doctor-secret-pw-42';

  beforeAll(async () => {
    cluster = await createCluster({ dataDir: join(work, 'pg'), password });
    server = createServer((req, res) => {
      if (req.url === '/api/v1/health')
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"status":"healthy","version":"1.2.3"}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await cluster?.destroy();
  });

  function stageConfig(): string {
    return writeConfig(
      'stage.yaml',
      `targets:\n  stage:\n    baseUrl: ${baseUrl}\n    database:\n      readonlyUrlEnv: STAGE_RO_URL\n      adminUrlEnv: STAGE_ADMIN_URL\n`,
    );
  }

  it('checks health, SELECT 1 on both URLs and pg_dump against the server version, with the password never printed', async () => {
    const env = { ...isolated, STAGE_RO_URL: cluster.url(), STAGE_ADMIN_URL: cluster.url() };
    const { code, stdout } = await runCli(
      ['doctor', '--target', 'stage', '--config', stageConfig(), '--json'],
      { cwd: work, env },
    );
    expect(code).toBe(0);
    expect(stdout).not.toContain(password);
    const byId = new Map(parseReport(stdout).checks.map((c) => [c.id, c]));
    expect(byId.get('target-health')).toMatchObject({ status: 'ok', version: '1.2.3' });
    expect(byId.get('target-database-readonly')).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^15\./),
      detail: expect.stringContaining('SELECT 1 ok'),
    });
    expect(byId.get('target-database-admin')).toMatchObject({ status: 'ok' });
    expect(byId.get('pg_dump-compat')).toMatchObject({
      status: 'ok',
      required: true,
      detail: expect.stringMatching(/^pg_dump 15\.\d+ >= server 15\./),
    });

    const table = await runCli(['doctor', '--target', 'stage', '--config', stageConfig(), '--no-color'], {
      cwd: work,
      env,
    });
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain(password);
    expect(table.stdout).toMatch(/readonly database of stage\s+ok\s+15\./);
    expect(table.stdout).toMatch(
      /secret variables of stage\s+ok\s+-\s+all set: STAGE_RO_URL, STAGE_ADMIN_URL/,
    );
    expect(table.stdout).toContain('Ready: every required tool is there');
  });

  it('warns once per secret variable the target names but the environment does not set, with the export that fixes it', async () => {
    const config = writeConfig(
      'stage-secrets.yaml',
      `targets:\n  stage:\n    baseUrl: ${baseUrl}\n    accounts:\n      studentA: { email: a@example.com, passwordEnv: STAGE_STUDENT_A_PASSWORD }\n    rateLimitBypass: { tokenEnv: STAGE_BYPASS }\n    database:\n      readonlyUrlEnv: STAGE_RO_URL\n      adminUrlEnv: STAGE_ADMIN_URL\n`,
    );
    const env = { ...isolated, STAGE_RO_URL: cluster.url(), STAGE_BYPASS: '' };
    const { code, stdout } = await runCli(['doctor', '--target', 'stage', '--config', config, '--json'], {
      cwd: work,
      env,
    });
    expect(code).toBe(0);
    const secrets = parseReport(stdout).problems.filter((c) => c.id.startsWith('target-secret-'));
    expect(secrets).toEqual([
      expect.objectContaining({
        id: 'target-secret-STAGE_STUDENT_A_PASSWORD',
        status: 'warn',
        detail: 'targets.stage.accounts.studentA.passwordEnv -> STAGE_STUDENT_A_PASSWORD is not set',
        hint: 'export STAGE_STUDENT_A_PASSWORD=...',
      }),
      expect.objectContaining({
        id: 'target-secret-STAGE_BYPASS',
        status: 'warn',
        detail: 'targets.stage.rateLimitBypass.tokenEnv -> STAGE_BYPASS is empty',
        hint: 'export STAGE_BYPASS=...',
      }),
      expect.objectContaining({
        id: 'target-secret-STAGE_ADMIN_URL',
        status: 'warn',
        detail: 'targets.stage.database.adminUrlEnv -> STAGE_ADMIN_URL is not set',
        hint: 'export STAGE_ADMIN_URL=...',
      }),
    ]);

    const table = await runCli(['doctor', '--target', 'stage', '--config', config, '--no-color'], {
      cwd: work,
      env,
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /secret STAGE_ADMIN_URL\s+warn\s+-\s+targets\.stage\.database\.adminUrlEnv -> STAGE_ADMIN_URL is not set\s+fix: export STAGE_ADMIN_URL=\.\.\./,
    );
    expect(table.stdout).toContain(
      'Tools ready, but target "stage" needs secret variables that are not set: STAGE_STUDENT_A_PASSWORD, STAGE_BYPASS, STAGE_ADMIN_URL',
    );
    expect(table.stdout).not.toContain('Ready: every required tool');
  });

  it('names the unset database variables, never the keys the config already sets, when no database URL is exported', async () => {
    const { code, stdout } = await runCli(
      ['doctor', '--target', 'stage', '--config', stageConfig(), '--json'],
      { cwd: work, env: isolated },
    );
    expect(code).toBe(0);
    const report = parseReport(stdout);
    expect(report.problems.find((c) => c.id === 'target-database')).toMatchObject({
      status: 'warn',
      detail: 'no database URL: STAGE_RO_URL and STAGE_ADMIN_URL are not set',
      hint: 'export STAGE_RO_URL=... STAGE_ADMIN_URL=...',
    });
    for (const check of report.checks) expect(check.hint ?? '').not.toMatch(/readonlyUrlEnv|adminUrlEnv/);
    expect(report.problems.map((c) => c.id)).toEqual(
      expect.arrayContaining(['target-secret-STAGE_RO_URL', 'target-secret-STAGE_ADMIN_URL']),
    );

    // without database keys in the config, the fix is to add them
    const bare = writeConfig('bare.yaml', `targets:\n  bare:\n    baseUrl: ${baseUrl}\n`);
    const plain = await runCli(['doctor', '--target', 'bare', '--config', bare, '--json'], {
      cwd: work,
      env: isolated,
    });
    expect(parseReport(plain.stdout).problems.find((c) => c.id === 'target-database')).toMatchObject({
      detail: 'no database URL configured',
      hint: expect.stringContaining('set targets.bare.database.readonlyUrlEnv'),
    });
  });

  it('exits 3 when the explicitly named target database refuses the password', async () => {
    const wrong = cluster.url('postgres', 'postgres', 'wrong-password-9');
    const { code, stdout } = await runCli(
      ['doctor', '--target', 'stage', '--config', stageConfig(), '--json'],
      {
        cwd: work,
        env: { ...isolated, STAGE_RO_URL: wrong },
      },
    );
    expect(code).toBe(3);
    expect(stdout).not.toContain('wrong-password-9');
    expect(parseReport(stdout).problems.find((c) => c.id === 'target-database-readonly')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('password authentication failed'),
    });
  });

  it('exits 4 when pg_dump is older than the target server (fixture binaries)', async () => {
    const bindir = join(work, 'old-pg-bin');
    mkdirSync(bindir, { recursive: true });
    for (const tool of [
      'initdb',
      'pg_ctl',
      'postgres',
      'pg_dump',
      'pg_restore',
      'pg_basebackup',
      'pgbench',
      'psql',
    ]) {
      writeFileSync(join(bindir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 12.3"\n`);
      chmodSync(join(bindir, tool), 0o755);
    }
    const { code, stdout } = await runCli(
      ['doctor', '--target', 'stage', '--config', stageConfig(), '--json'],
      {
        cwd: work,
        env: { ...isolated, PREFLIGHT_PG_BINDIR: bindir, STAGE_RO_URL: cluster.url() },
      },
    );
    expect(code).toBe(4);
    expect(parseReport(stdout).problems.find((c) => c.id === 'pg_dump-compat')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^pg_dump 12\.3 cannot dump server 15\.\d+/),
      hint: expect.stringContaining('postgresql-client-15'),
    });
  });
});
