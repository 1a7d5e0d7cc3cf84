import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../src/sandbox/index.js';
import { binPath, repoRoot, runCli } from './helpers/cli.js';
import { makeTempDir } from './helpers/temp-dir.js';

interface LaunchJson {
  ok: boolean;
  verdict: string;
  target: string;
  report: string;
  failed: string[];
  notRun: string[];
  steps: Array<{
    step: string;
    status: string;
    summary: string;
    durationMs: number;
    error?: { code: string; message: string };
  }>;
}

const allSteps = ['search-check', 'load', 'scan', 'backup', 'monitoring'];

describe('preflight launch (real sandbox, built CLI)', () => {
  const createHome = () => makeTempDir('preflight-launch-');

  it('starts the sandbox, passes every launch check on the hardened twin and leaves nothing running', async () => {
    const home = createHome();
    const { code, stdout, stderr } = await runCli(['launch', '--json'], {
      env: { PREFLIGHT_HOME: home },
      timeoutMs: 240_000,
    });
    const report = JSON.parse(stdout) as LaunchJson;
    expect(report.steps.map((s) => s.step)).toEqual(['search-check', 'load', 'scan', 'backup', 'monitoring']);
    expect(
      report.steps.filter((s) => s.status !== 'pass'),
      stderr,
    ).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(existsSync(join(home, 'sandbox', 'state.json'))).toBe(false);
    expect(existsSync(join(home, 'sandbox', 'pgdata'))).toBe(false);
    const launchDirs = readdirSync(join(home, 'launch'));
    expect(launchDirs).toHaveLength(1);
    expect(readdirSync(join(home, 'launch', launchDirs[0]!))).toEqual(
      expect.arrayContaining(['backups', 'security']),
    );
  }, 300_000);

  it('Ctrl-C during a step stops the sandbox launch started and exits 130, leaving nothing running', async () => {
    const home = createHome();
    const child = spawn(process.execPath, [binPath, 'launch', '--only', 'load'], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', PREFLIGHT_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('== load:')) resolve();
        });
        void exited.then(() => reject(new Error(`launch ended before its load step: ${stderr}`)));
      });
      expect(existsSync(join(home, 'sandbox', 'state.json'))).toBe(true);
      child.kill('SIGINT');
      const code = await exited;
      expect(stderr).toContain('launch: interrupted, stopping the sandbox');
      expect(code, stderr).toBe(130);
      expect(existsSync(join(home, 'sandbox', 'state.json'))).toBe(false);
      expect(existsSync(join(home, 'sandbox', 'pgdata'))).toBe(false);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  }, 300_000);

  it('fails (exit 1) and names the broken checks on a weakened twin', async () => {
    const home = createHome();
    const { code, stdout } = await runCli(
      ['launch', '--weaken', 'nls-category-match,double-booking', '--only', 'search-check,load', '--json'],
      { env: { PREFLIGHT_HOME: home }, timeoutMs: 240_000 },
    );
    const report = JSON.parse(stdout) as LaunchJson;
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(byStep['search-check']?.status).toBe('fail');
    expect(byStep['search-check']?.summary).toContain('piano under $80');
    expect(byStep.load?.status).toBe('fail');
    expect(byStep.load?.summary).toMatch(/booking-race: .*(invariant|failed)/);
  }, 300_000);

  it('--help teaches --skip and --allow-skip with examples', async () => {
    const { code, stdout } = await runCli(['launch', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--skip +Skip these steps: search-check, load, scan, backup, monitoring/);
    expect(stdout).toMatch(/--allow-skip +Steps that may be skipped or not run/);
    expect(stdout).toContain('preflight launch --target staging --skip backup');
    expect(stdout).toContain('--allow-skip backup --json');
    expect(stdout).toContain('NOT READY (exit 1) unless --allow-skip names it');
  });

  it('rejects an unknown step in --allow-skip with exit 2 before starting anything', async () => {
    const home = createHome();
    const { code, stderr } = await runCli(['launch', '--skip', 'backup', '--allow-skip', 'backups'], {
      env: { PREFLIGHT_HOME: home },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown launch step "backups" in --allow-skip');
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
  });

  it('rejects an unknown step with exit 2 before starting anything', async () => {
    const home = createHome();
    const { code, stderr } = await runCli(['launch', '--only', 'warp-drive'], {
      env: { PREFLIGHT_HOME: home },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown launch step "warp-drive"');
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
  });
});

describe('preflight launch against a running sandbox: errors, skips and not-run steps', () => {
  let home: string;
  let sandbox: SandboxHandle | undefined;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'preflight-launch-running-'));
    sandbox = await startSandbox({ dir: join(home, 'sandbox') });
  }, 180_000);
  afterAll(async () => {
    try {
      await sandbox?.stop();
    } finally {
      if (home) rmSync(home, { recursive: true, force: true });
    }
  });
  const launch = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['launch', ...args], {
      env: { PREFLIGHT_HOME: home, PREFLIGHT_CONFIG: '', ...env },
      cwd: home,
      timeoutMs: 240_000,
    });

  /**
   * A configured target `twin` at the running sandbox; passwords come from the TWIN_* variables of twinEnv().
   * Each test logs in with its own students: wrong passwords lock an account out for the next test.
   */
  const writeTwinConfig = (file: string, students: [string, string], extraLines: string[] = []) => {
    const state = sandbox!.state;
    const config = join(home, file);
    writeFileSync(
      config,
      [
        'targets:',
        '  twin:',
        `    baseUrl: ${state.baseUrl}`,
        '    environment: sandbox',
        `    origin: ${state.origin}`,
        '    accounts:',
        `      studentA: { email: ${students[0]}, passwordEnv: TWIN_STUDENT_A_PASSWORD }`,
        `      studentB: { email: ${students[1]}, passwordEnv: TWIN_STUDENT_B_PASSWORD }`,
        '    rateLimitBypass: { tokenEnv: TWIN_BYPASS_TOKEN }',
        '    database: { readonlyUrlEnv: TWIN_READONLY_URL }',
        `    metricsAuth: { username: ${state.metricsAuth.username}, passwordEnv: TWIN_METRICS_PASSWORD }`,
        ...extraLines,
        '',
      ].join('\n'),
    );
    return config;
  };
  const twinEnv = (passwords: { a: string; b: string }) => {
    const state = sandbox!.state;
    return {
      TWIN_STUDENT_A_PASSWORD: passwords.a,
      TWIN_STUDENT_B_PASSWORD: passwords.b,
      TWIN_BYPASS_TOKEN: state.rateLimitBypass.token,
      TWIN_READONLY_URL: state.db.readonlyUrl,
      TWIN_METRICS_PASSWORD: state.metricsAuth.password,
    };
  };

  it('a wrong password makes load a FAIL row with its error code; scan, backup and monitoring still run (exit 1)', async () => {
    const { studentA, studentB } = sandbox!.state.accounts;
    const config = writeTwinConfig('wrong-password.yaml', [studentA.email, studentB.email]);
    const { code, stdout, stderr } = await launch(
      ['--config', config, '--target', 'twin', '--json'],
      twinEnv({ a: 'wrong-password-a-1234', b: 'wrong-password-b-1234' }),
    );
    expect(stderr).not.toContain('error[');
    const report = JSON.parse(stdout) as LaunchJson;
    expect(report.steps.map((s) => s.step)).toEqual(allSteps);
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(byStep['search-check']?.status).toBe('pass');
    expect(byStep.load?.status).toBe('fail');
    expect(byStep.load?.error?.code).toMatch(/^E_[A-Z0-9_]+$/);
    expect(byStep.load?.summary).toContain(`${byStep.load?.error?.code}: `);
    // the steps after the error ran and reported what they found
    for (const name of ['scan', 'backup', 'monitoring']) expect(byStep[name]?.status).not.toBe('skip');
    // probes that need a login end in error: the scan fails (as `preflight scan` does) instead of passing
    expect(byStep.scan?.status).toBe('fail');
    expect(byStep.scan?.summary).toMatch(/could not finish .*HTTP 401/);
    expect(byStep.backup).toMatchObject({
      status: 'not-run',
      summary: expect.stringContaining('not configured'),
    });
    expect(report).toMatchObject({
      ok: false,
      verdict: 'NOT READY',
      failed: expect.arrayContaining(['load', 'scan']),
    });
    expect(report.notRun).toEqual(expect.arrayContaining(['backup']));
    expect(code).toBe(1);
    expect(`${stdout}${stderr}`).not.toContain('wrong-password-a-1234');
    // stdout is launch.json plus where the HTML report and the Markdown summaries went
    const { html, summaryMd, ...written } = report as LaunchJson & {
      html: string | null;
      summaryMd: string[];
    };
    expect(html).toMatch(/report\.html$/);
    expect(summaryMd).toEqual([]);
    expect(JSON.parse(readFileSync(report.report, 'utf8'))).toEqual(written);
  }, 300_000);

  it('a load scenario that finds no bookable slot makes load NOT RUN with the reason (exit 1)', async () => {
    const students = sandbox!.state.loadTestStudents;
    const config = writeTwinConfig(
      'no-slot.yaml',
      [students.emails[0]!, students.emails[1]!],
      ['    platform: { discoveryQueries: [zzzz-no-such-service] }'],
    );
    const others = ['search-check', 'scan', 'backup', 'monitoring'].join(',');
    const { code, stdout, stderr } = await launch(
      ['--config', config, '--target', 'twin', '--only', 'load', '--allow-skip', others, '--json'],
      twinEnv({ a: students.password, b: students.password }),
    );
    const report = JSON.parse(stdout) as LaunchJson;
    const load = report.steps.find((s) => s.step === 'load');
    expect(load?.status, `${load?.summary}\n${stderr}`).toBe('not-run');
    expect(load?.summary).toMatch(/booking-race: not run \(no bookable slot found.*platform\.slot/);
    expect(report).toMatchObject({ ok: false, verdict: 'NOT READY', notRun: ['load'], failed: [] });
    expect(code).toBe(1);
  }, 300_000);

  it('--skip backup holds the verdict at NOT READY (exit 1); --allow-skip backup accepts it (exit 0)', async () => {
    const others = ['load', 'scan', 'monitoring'];
    const skipped = await launch([
      '--skip',
      `backup,${others.join(',')}`,
      '--allow-skip',
      others.join(','),
      '--json',
    ]);
    const report = JSON.parse(skipped.stdout) as LaunchJson;
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['search-check', 'pass'],
      ['load', 'skip'],
      ['scan', 'skip'],
      ['backup', 'skip'],
      ['monitoring', 'skip'],
    ]);
    expect(report).toMatchObject({ ok: false, verdict: 'NOT READY', notRun: ['backup'], failed: [] });
    expect(skipped.code, skipped.stderr).toBe(1);

    const allowed = await launch([
      '--skip',
      `backup,${others.join(',')}`,
      '--allow-skip',
      `backup,${others.join(',')}`,
    ]);
    expect(allowed.stdout).toMatch(
      /READY: every launch check that ran passed on "sandbox" \(not run, allowed by --allow-skip: load, scan, backup, monitoring\)/,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
  }, 300_000);

  it('skipping every step prints NOT READY, never READY, and names the report (exit 1)', async () => {
    const { code, stdout } = await launch(['--skip', allSteps.join(','), '--no-color']);
    expect(stdout).toMatch(/^backup +SKIP +- +skipped \(--skip or --only\)$/m);
    expect(stdout).toContain('NOT READY (5 not run) on "sandbox"');
    expect(stdout).not.toMatch(/^READY/m);
    const reportPath = /^Report: (.*launch\.json)$/m.exec(stdout)?.[1];
    expect(reportPath && existsSync(reportPath)).toBe(true);
    expect(code).toBe(1);
  });

  it('skipping every step with nothing running starts no sandbox and is still NOT READY', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'preflight-launch-empty-'));
    try {
      const { code, stdout, stderr } = await runCli(
        ['launch', '--skip', allSteps.join(','), '--allow-skip', allSteps.join(',')],
        { env: { PREFLIGHT_HOME: empty, PREFLIGHT_CONFIG: '' }, cwd: empty },
      );
      expect(stdout).toContain('NOT READY: no launch check ran on "sandbox" (every step was skipped).');
      expect(code).toBe(1);
      expect(stderr).not.toContain('starting the sandbox');
      expect(existsSync(join(empty, 'sandbox'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
