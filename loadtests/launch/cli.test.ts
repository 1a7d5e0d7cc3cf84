// The launch commands as a user runs them (built CLI, real subprocess) against sandboxes this test starts:
// `load capacity` finds a knee, `load run pool-saturation` against a pool of 2 names the database pool, and a
// target marked production needs --i-understand-this-is-production.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot, runCli } from '../../test/helpers/cli.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';

let sandbox: LaunchSandbox;

beforeAll(async () => {
  // a database slow enough that two connections saturate at the rates this machine can offer
  sandbox = await startLaunchSandbox({ poolSize: 2, queryDelayMs: 5 });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
});

const cli = (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000) =>
  runCli(args, { cwd: repoRoot, env: { PREFLIGHT_HOME: sandbox.home, ...env }, timeoutMs });

describe('preflight load capacity (sandbox, pool size 2)', () => {
  it('finds the knee of search-mix and reports every step', async () => {
    const result = await cli([
      'load',
      'capacity',
      'search-mix',
      '--engine',
      'native',
      '--slo',
      'p(95)<100,rate<0.01',
      '--start-rps',
      '40',
      // high enough that a knee exists on any machine: at worst the generator's 50 VUs cannot keep up
      '--max-rps',
      '5120',
      '--step-duration',
      '2s',
      '--sample-interval',
      '1000',
      '-e',
      'MAX_VUS=50',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      capacityRps: number;
      firstFailingRps?: number;
      kneeFound: boolean;
      steps: Array<{ phase: string; targetRps: number; ok: boolean; observed: unknown[] }>;
    };
    expect(report.kneeFound).toBe(true);
    expect(report.firstFailingRps).toBeGreaterThan(report.capacityRps);
    expect(report.steps.some((s) => s.phase === 'ramp' && !s.ok)).toBe(true);
    expect(report.steps.every((s) => s.observed.length === 2)).toBe(true);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 300_000);

  it('exits 1 when the capacity is below --min-rps', async () => {
    const result = await cli([
      'load',
      'capacity',
      'search-mix',
      '--engine',
      'native',
      '--slo',
      'p(95)<2000,rate<0.5',
      '--start-rps',
      '10',
      '--max-rps',
      '20',
      '--step-duration',
      '2s',
      '--min-rps',
      '100000',
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('capacity: at least 20 req/s');
    expect(result.stdout).toContain('below the floor: --min-rps 100000');
    // every step is reported on stderr as it finishes, and in the table
    expect(result.stderr).toMatch(
      /step ramp 10 req\/s: achieved [\d.]+ req\/s, p\(95\) [\d.]+, rate [\d.]+ -> meets SLO/,
    );
    expect(result.stdout).toMatch(/2 +ramp +20 +/);
  }, 300_000);
});

describe('bottleneck report (sandbox, pool size 2)', () => {
  it('load run pool-saturation names the database pool as the first resource to saturate', async () => {
    const result = await cli([
      'load',
      'run',
      'pool-saturation',
      '--engine',
      'native',
      '-e',
      'RATE=400',
      '-e',
      'RAMP=10s',
      '-e',
      'HOLD=2s',
      '--results-dir',
      join(sandbox.home, 'results'),
      '--json',
    ]);
    expect([0, 1], result.stderr).toContain(result.code);
    const output = JSON.parse(result.stdout) as {
      launch: { bottleneck: { bottleneck?: { kind: string }; headline: string; samples: unknown[] } };
    };
    expect(output.launch.bottleneck.samples.length).toBeGreaterThan(2);
    expect(output.launch.bottleneck.bottleneck?.kind, output.launch.bottleneck.headline).toBe('db-pool');
    expect(output.launch.bottleneck.headline).toMatch(/^DB pool usage 100%.* from \d+ req\/s/);
  }, 300_000);

  it('the text report starts with the bottleneck line', async () => {
    const result = await cli([
      'load',
      'run',
      'pool-saturation',
      '--engine',
      'native',
      '-e',
      'RATE=400',
      '-e',
      'RAMP=10s',
      '-e',
      'HOLD=2s',
      '--results-dir',
      join(sandbox.home, 'results'),
    ]);
    expect(result.stdout).toMatch(/bottleneck: DB pool usage 100%/);
    // pool-saturation books nothing: no clean-up line, and never an incomplete one
    expect(result.stdout).not.toMatch(/clean-up|CLEAN-UP/);
  }, 300_000);
});

describe('production safety', () => {
  it('refuses a target marked production without --i-understand-this-is-production, and runs with it', async () => {
    const account = sandbox.handle.state.accounts.studentA;
    const config = join(sandbox.home, 'preflight.yaml');
    writeFileSync(
      config,
      [
        'targets:',
        '  prod:',
        `    baseUrl: ${sandbox.handle.state.baseUrl}`,
        '    production: true',
        '    accounts:',
        '      studentA:',
        `        email: ${account.email}`,
        '        passwordEnv: PF_TEST_STUDENT_PASSWORD',
        '',
      ].join('\n'),
    );
    const args = [
      'load',
      'run',
      'smoke',
      '--engine',
      'native',
      '--config',
      config,
      '--target',
      'prod',
      '-e',
      `ORIGIN=${sandbox.handle.state.origin}`,
    ];
    const env = { PF_TEST_STUDENT_PASSWORD: account.password };
    const refused = await cli(args, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('marked production');
    const allowed = await cli(
      [...args, '--i-understand-this-is-production', '--results-dir', join(sandbox.home, 'results')],
      env,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
  }, 300_000);
});

describe('interruption', () => {
  it('Ctrl-C during browse-and-book still cleans up every booking it created, by id', async () => {
    const child = spawn(
      process.execPath,
      [
        binPath,
        'load',
        'run',
        'browse-and-book',
        '--engine',
        'native',
        '-e',
        'VUS=2',
        '-e',
        'ITERATIONS=200',
        '-e',
        'THINK_TIME=0.4',
        '--results-dir',
        join(sandbox.home, 'results'),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, NO_COLOR: '1', PREFLIGHT_HOME: sandbox.home },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // interrupt once the run has bookings in flight
    const deadline = Date.now() + 120_000;
    while ((await sandbox.countTestBookings()) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await sandbox.countTestBookings()).toBeGreaterThan(0);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /clean-up: [1-9]\d* booking\(s\) created, \d+ removed via database; checked again: none active/,
    );
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 300_000);
});
