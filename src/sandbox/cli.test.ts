// `preflight sandbox up --detach / status / reset / down` as real subprocesses: no process and no directory left behind.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binPath, type CliResult, repoRoot, runCli as runBuiltCli } from '../../test/helpers/cli.js';
import { startSandbox } from './index.js';
import { isProcessAlive } from './state.js';

const homes: string[] = [];

function runCli(args: string[], home: string, timeoutMs = 90_000): Promise<CliResult> {
  return runBuiltCli(args, { env: { PREFLIGHT_HOME: home }, timeoutMs });
}

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'preflight-sandbox-cli-'));
  homes.push(home);
  return home;
}

/** PostgreSQL server processes whose data directory lies under `dir`. */
function findPostgres(dir: string): Promise<string> {
  return new Promise((resolve) => {
    const ps = spawn('ps', ['-eo', 'pid,args'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ps.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    ps.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l.includes(dir) && /postgres/.test(l))
          .join('\n'),
      ),
    );
  });
}

afterAll(async () => {
  for (const home of homes) {
    await runCli(['sandbox', 'down'], home).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
});

describe('sandbox CLI', () => {
  it('up --detach --json, status, reset, down: leaves no process and no data directory', async () => {
    const home = newHome();
    const up = await runCli(['sandbox', 'up', '--detach', '--json'], home);
    expect(up.code, up.stderr).toBe(0);
    const info = JSON.parse(up.stdout) as {
      pid: number;
      baseUrl: string;
      adminUrl: string;
      readonlyUrl: string;
      accounts: Record<string, { email: string; password: string }>;
    };
    expect(info.adminUrl).toMatch(/^postgresql:\/\/postgres:[^*@]+@127\.0\.0\.1:\d+\/instainstru$/);
    expect(info.readonlyUrl).toMatch(/^postgresql:\/\/instainstru_readonly:/);
    expect(info.accounts.studentA?.password).not.toContain('*');
    expect(isProcessAlive(info.pid)).toBe(true);
    const health = await fetch(`${info.baseUrl}/api/v1/health`);
    expect(health.status).toBe(200);

    const status = await runCli(['sandbox', 'status', '--json'], home);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      healthy: true,
      checks: { api: true, ready: true, database: { ok: true } },
    });

    const reset = await runCli(['sandbox', 'reset', '--json'], home);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ ok: true });
    const state = JSON.parse(readFileSync(join(home, 'sandbox', 'state.json'), 'utf8')) as {
      resetAt?: string;
    };
    expect(Date.parse(state.resetAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
    expect((await fetch(`${info.baseUrl}/api/v1/ready`)).status).toBe(200);

    const second = await runCli(['sandbox', 'up', '--detach'], home);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already running');

    const down = await runCli(['sandbox', 'down'], home);
    expect(down.code, down.stderr).toBe(0);
    expect(isProcessAlive(info.pid)).toBe(false);
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
    expect(await findPostgres(home)).toBe('');

    const after = await runCli(['sandbox', 'status'], home);
    expect(after.code).toBe(3);
  }, 180_000);

  it('foreground up prints the URLs and accounts, and SIGTERM tears everything down', async () => {
    const home = newHome();
    const child = spawn(
      process.execPath,
      [binPath, 'sandbox', 'up', '--json', '--weaken', 'double-booking'],
      {
        cwd: repoRoot,
        env: { ...process.env, PREFLIGHT_HOME: home, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 120_000;
    while (!stdout.trim().endsWith('}') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const info = JSON.parse(stdout) as {
      baseUrl: string;
      weaken: string[];
      accounts: Record<string, unknown>;
    };
    expect(info.weaken).toEqual(['double-booking']);
    expect(Object.keys(info.accounts).sort()).toEqual(['admin', 'instructor', 'studentA', 'studentB']);
    expect((await fetch(`${info.baseUrl}/api/v1/health`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
    expect(await findPostgres(home)).toBe('');
  }, 180_000);

  it('a crashed run (killed process, PostgreSQL still running, stale state) does not block the next up', async () => {
    const home = newHome();
    const up = await runCli(['sandbox', 'up', '--detach', '--json'], home);
    expect(up.code, up.stderr).toBe(0);
    const { pid } = JSON.parse(up.stdout) as { pid: number };
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await findPostgres(home)).not.toBe('');
    const stale = await runCli(['sandbox', 'status', '--json'], home);
    expect(stale.code).toBe(3);
    expect(JSON.parse(stale.stdout)).toMatchObject({ running: false, stale: true });

    const again = await runCli(['sandbox', 'up', '--detach', '--json'], home);
    expect(again.code, again.stderr).toBe(0);
    const down = await runCli(['sandbox', 'down'], home);
    expect(down.code).toBe(0);
    expect(await findPostgres(home)).toBe('');
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
  }, 240_000);

  it('status and reset work on an in-process sandbox, and down refuses to signal the program that owns it', async () => {
    const home = newHome();
    const handle = await startSandbox({ dir: join(home, 'sandbox') });
    try {
      const status = await runCli(['sandbox', 'status', '--json'], home);
      expect(status.code, status.stderr).toBe(0);
      const reset = await runCli(['sandbox', 'reset'], home);
      expect(reset.code, reset.stderr).toBe(0);
      const down = await runCli(['sandbox', 'down'], home);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('E_SANDBOX');
      expect((await fetch(`${handle.state.baseUrl}/api/v1/ready`)).status).toBe(200);
    } finally {
      await handle.stop();
    }
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
  }, 180_000);

  it('down cleans a leftover directory with a stale state file even when nothing runs', async () => {
    const home = newHome();
    const dir = join(home, 'sandbox');
    mkdirSync(join(dir, 'pgdata'), { recursive: true });
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ pid: 999_999, baseUrl: 'http://127.0.0.1:1', db: { dataDir: join(dir, 'pgdata') } }),
    );
    const down = await runCli(['sandbox', 'down', '--json'], home);
    expect(down.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('a --port that is in use gives E_PORT_IN_USE with a hint and exit 2', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const home = newHome();
      const up = await runCli(['sandbox', 'up', '--detach', '--port', String(port)], home);
      expect(up.code).toBe(2);
      expect(up.stderr).toContain('E_PORT_IN_USE');
      expect(up.stderr).toContain('hint:');
    } finally {
      server.close();
    }
  });

  it('an unknown weakness switch is a usage error listing the valid ones', async () => {
    const up = await runCli(['sandbox', 'up', '--weaken', 'nls-category-match,bogus'], newHome());
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('bogus');
    expect(up.stderr).toContain('double-booking');
  });
});
