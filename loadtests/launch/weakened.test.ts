// Acceptance against weakened sandboxes: the gates must fail, naming what broke, and still leave nothing behind.
// (rate-limit-conformance against `no-rate-limit` and `rate-limit-ip-spoof`: rate-limit.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/cli.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';
import { describeOverlap } from './invariants.js';
import { formatLaunchReport } from './report.js';
import { runLaunchScenario } from './run.js';

const plain = { red: String, green: String, yellow: String, bold: String, dim: String } as const;

function run(sandbox: LaunchSandbox, scenario: string, env: Record<string, string> = {}) {
  return runLaunchScenario({
    scenario,
    cwd: repoRoot,
    engine: 'native',
    target: sandbox.handle.target,
    env,
    resultsDir: false,
    sampleIntervalMs: 1000,
  });
}

describe('sandbox weakened with double-booking and no-rate-limit', () => {
  let sandbox: LaunchSandbox;
  beforeAll(async () => {
    sandbox = await startLaunchSandbox({ weaken: ['double-booking', 'no-rate-limit'] });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('booking-race fails with exit 1 and names the overlapping rows (double-booking)', async () => {
    const result = await run(sandbox, 'booking-race', { RACE_BARRIER_MS: '5000' });
    expect(result.exitCode).toBe(1);
    expect(result.run.summary.metrics.race_success?.values.count).toBeGreaterThan(1);
    const invariant = result.invariants[0];
    expect(invariant?.ok).toBe(false);
    expect(invariant?.violations.length).toBeGreaterThan(0);
    const first = invariant?.violations[0];
    expect(first?.first.id).toMatch(/^[0-9A-Z]{26}$/);
    const report = formatLaunchReport(result, plain);
    expect(report).toContain(
      'INVARIANT BROKEN: no two active bookings (PENDING included) of one instructor overlap',
    );
    expect(report).toContain(describeOverlap(first!));
    expect(result.cleanup.leftover).toEqual([]);
    expect(result.cleanup.created).toBeGreaterThan(0);
    expect(await sandbox.countBookingsById(result.cleanup.bookings.map((b) => b.id))).toBe(0);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 180_000);
});
