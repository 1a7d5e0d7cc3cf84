// Acceptance against the hardened sandbox on the native engine: the launch scenarios pass, and no test booking is
// left behind after any of them. Short durations: a few seconds per scenario. (rate-limit-conformance needs the
// platform's 60 s windows: rate-limit.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/cli.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';
import { type LaunchRunResult, runLaunchScenario } from './run.js';

let sandbox: LaunchSandbox;

beforeAll(async () => {
  sandbox = await startLaunchSandbox();
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
});

function run(
  scenario: string,
  env: Record<string, string> = {},
  duration?: string,
): Promise<LaunchRunResult> {
  return runLaunchScenario({
    scenario,
    cwd: repoRoot,
    engine: 'native',
    target: sandbox.handle.target,
    env,
    duration,
    resultsDir: false,
    sampleIntervalMs: 1000,
  });
}

function describeFailures(result: LaunchRunResult): string {
  const thresholds = result.run.summary.thresholds
    .filter((t) => !t.ok)
    .map((t) => `${t.metric} ${t.source} (${t.observed})`);
  const checks = result.run.summary.checks
    .filter((c) => c.fails > 0)
    .map((c) => `${c.name}: ${c.fails} failed`);
  return [...thresholds, ...checks].join('; ') || 'none';
}

describe('launch scenarios against the hardened sandbox (native engine)', () => {
  it('smoke passes', async () => {
    const result = await run('smoke');
    expect(result.exitCode, describeFailures(result)).toBe(0);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 120_000);

  it('search-mix passes with thresholds per query tier', async () => {
    const result = await run('search-mix', { RATE: '30', RAMP: '3s', HOLD: '2s', START_RATE: '5' });
    expect(result.exitCode, describeFailures(result)).toBe(0);
    const tiers = result.run.summary.thresholds.map((t) => t.metric);
    for (const tier of ['common', 'long_tail', 'price', 'misspelled'])
      expect(tiers).toContain(`http_req_duration{tier:${tier}}`);
    expect(result.run.summary.metrics.http_reqs?.values.count).toBeGreaterThan(50);
    expect(result.bottleneck.samples.length).toBeGreaterThan(0);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 120_000);

  it('browse-and-book books and cancels with the test students, leaving nothing behind', async () => {
    const result = await run('browse-and-book', { THINK_TIME: '0.05', VUS: '2', ITERATIONS: '2' });
    expect(result.exitCode, describeFailures(result)).toBe(0);
    expect(result.run.summary.metrics.bookings_created?.values.count).toBeGreaterThan(0);
    expect(result.invariants.every((i) => i.ok)).toBe(true);
    expect(result.cleanup.leftover).toEqual([]);
    expect(result.cleanup.created).toBeGreaterThan(0);
    expect(await sandbox.countBookingsById(result.cleanup.bookings.map((b) => b.id))).toBe(0);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 120_000);

  it('booking-race: exactly one of 50 students wins the slot, the rest get BOOKING_CONFLICT, no 5xx', async () => {
    const result = await run('booking-race', { RACE_BARRIER_MS: '5000' });
    expect(result.exitCode, describeFailures(result)).toBe(0);
    const metrics = result.run.summary.metrics;
    expect(metrics.race_success?.values.count).toBe(1);
    expect(metrics.race_conflict?.values.count).toBe(49);
    expect(metrics.race_5xx?.values.count).toBe(0);
    expect(result.invariants).toHaveLength(1);
    expect(result.invariants[0]?.ok).toBe(true);
    expect(result.cleanup.removed).toBe(1);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 180_000);

  it('soak takes its duration from the command line (-e DURATION and --duration)', async () => {
    const fromEnv = await run('soak', { DURATION: '3s', VUS: '2', THINK_TIME: '0.1' });
    expect(fromEnv.exitCode, describeFailures(fromEnv)).toBe(0);
    expect(fromEnv.run.summary.durationMs).toBeGreaterThan(2500);
    expect(fromEnv.run.summary.durationMs).toBeLessThan(15_000);
    const fromFlag = await run('soak', { VUS: '2', THINK_TIME: '0.1' }, '2s');
    expect(fromFlag.exitCode, describeFailures(fromFlag)).toBe(0);
    expect(fromFlag.run.summary.durationMs).toBeLessThan(15_000);
  }, 120_000);

  it('spike runs its shape over -e DURATION', async () => {
    const result = await run('spike', {
      DURATION: '6s',
      BASELINE_VUS: '1',
      SPIKE_VUS: '6',
      THINK_TIME: '0.1',
    });
    expect(result.exitCode, describeFailures(result)).toBe(0);
    expect(
      result.run.summary.metrics.vus_max?.values.value ?? result.run.summary.metrics.vus_max?.values.max,
    ).toBeGreaterThanOrEqual(6);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 120_000);
});
