// connection-loss against real sandboxes: the launch layer terminates the API's database sessions mid-run; the
// hardened twin (pre-ping + one retry) rides it out, the `no-db-retry` twin fails requests and the verdict says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/cli.js';
import type { SeriesPoint } from '../engine/metrics/timeseries.js';
import { analyzeConnectionLoss, type ConnectionLossEvent, startConnectionLoss } from './connection-loss.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';
import { formatLaunchReport } from './report.js';
import { runLaunchScenario } from './run.js';

const plain = { red: String, green: String, yellow: String, bold: String, dim: String } as const;

function runConnectionLoss(sandbox: LaunchSandbox) {
  return runLaunchScenario({
    scenario: 'connection-loss',
    cwd: repoRoot,
    engine: 'native',
    target: sandbox.handle.target,
    env: { DURATION: '10s', CONNECTION_LOSS_AT: '4' },
    resultsDir: false,
    sampleIntervalMs: 0,
    // a generous p95 line: on a busy test machine latency must not decide recovery, the errors do
    slo: { p95Ms: 5000, errorRate: 0.01 },
  });
}

describe('connection-loss against the hardened sandbox', () => {
  let sandbox: LaunchSandbox;
  beforeAll(async () => {
    sandbox = await startLaunchSandbox();
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('terminates the API sessions, and the run passes with no error burst', async () => {
    const result = await runConnectionLoss(sandbox);
    const loss = result.connectionLoss;
    expect(loss?.reasons).toEqual([]);
    expect(loss?.event.atSeconds).toBeGreaterThanOrEqual(4);
    expect(loss?.event.terminated).toBeGreaterThan(0);
    expect(loss?.burst.failed).toBe(0);
    expect(loss?.recoverySeconds).toBeLessThanOrEqual(10);
    expect(result.exitCode).toBe(0);
    expect(formatLaunchReport(result, plain)).toMatch(
      /connection loss survived[^\n]*\n {2}dropped at [\d.]+s: \d+ database session/,
    );
  }, 120_000);
});

describe('connection-loss against the sandbox weakened with no-db-retry', () => {
  let sandbox: LaunchSandbox;
  beforeAll(async () => {
    sandbox = await startLaunchSandbox({ weaken: ['no-db-retry'] });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('fails with exit 1, reporting the error burst and the recovery time', async () => {
    const result = await runConnectionLoss(sandbox);
    const loss = result.connectionLoss;
    expect(result.exitCode).toBe(1);
    expect(loss?.ok).toBe(false);
    expect(loss?.event.terminated).toBeGreaterThan(0);
    expect(loss?.burst.failed).toBeGreaterThan(0);
    expect(loss?.burst.seconds).toBeGreaterThan(0);
    expect(loss?.recoverySeconds).toBeDefined();
    expect(loss?.reasons.join('; ')).toMatch(/% of requests failed \(\d+ of \d+; at most 1%\)/);
    const report = formatLaunchReport(result, plain);
    expect(report).toContain('CONNECTION LOSS NOT SURVIVED');
    expect(report).toMatch(/error burst: [1-9]\d* failed request\(s\) over \d+s/);
    expect(report).toMatch(/recovery: [\d.]+s \(at most 10s\)/);
  }, 120_000);
});

describe('connection-loss verdict (pure)', () => {
  const point = (t: number, rps: number, errorRate: number, p95 = 20): SeriesPoint => ({
    t,
    rps,
    errorRate,
    p50: p95 / 2,
    p95,
    p99: p95,
    vus: 4,
    iterations: rps / 4,
    droppedIterations: 0,
  });
  const event: ConnectionLossEvent = {
    atSeconds: 3.4,
    terminated: 8,
    poolerDatabases: [],
    poolerAction: 'none',
    errors: [],
  };
  const thresholds = { recoverySeconds: 2, failedRate: 0.05, p95Ms: 300, errorRate: 0.01 };

  it('counts the burst from the drop second on and the seconds until the series stays within the SLO', () => {
    const series = [
      point(0, 100, 0.02), // before the drop: not in the burst
      point(1, 100, 0),
      point(2, 100, 0),
      point(3, 100, 0.1),
      point(4, 100, 0.05, 900),
      point(5, 100, 0, 400),
      point(6, 100, 0),
      point(7, 100, 0),
    ];
    const report = analyzeConnectionLoss(series, event, thresholds);
    expect(report.burst).toEqual({ failed: 15, seconds: 2, firstT: 3, lastT: 4 });
    expect(report.recoverySeconds).toBe(2.6);
    expect(report.reasons).toEqual(['recovery took 2.6s (at most 2s)']);
    expect(report.failedRate).toBeCloseTo(17 / 800);
  });

  it('fails when nothing was terminated, when the drop never happened, and when the run never recovered', () => {
    const steady = [point(0, 50, 0), point(1, 50, 0), point(2, 50, 0), point(3, 50, 0), point(4, 50, 0)];
    expect(analyzeConnectionLoss(steady, { ...event, terminated: 0 }, thresholds).reasons).toEqual([
      "no database session was terminated: check that the admin URL names the API's database, and platform.database.appRole / appApplicationName (when set) against pg_stat_activity",
    ]);
    expect(analyzeConnectionLoss(steady, { ...event, atSeconds: undefined }, thresholds).ok).toBe(false);
    const broken = [...steady.slice(0, 3), point(3, 50, 0.5), point(4, 50, 0.5)];
    const report = analyzeConnectionLoss(broken, event, thresholds);
    expect(report.recoverySeconds).toBeUndefined();
    expect(report.reasons).toContain('the error rate or p95 was still outside the SLO when the run ended');
    // no answer at all after the drop (every request hung) is no recovery
    // failures that were 429s are named as such, with the setting that keeps the rate limit out of the verdict
    expect(analyzeConnectionLoss(broken, event, thresholds, { rateLimited: 40 }).reasons.join('\n')).toMatch(
      /40 were answered 429 \(rate limited\), not failed by the connection loss: configure the target's rateLimitBypass/,
    );
    expect(analyzeConnectionLoss(broken, event, thresholds).reasons.join('\n')).not.toMatch(/429/);
    const silent = [...steady.slice(0, 3), point(3, 0, 0), point(4, 0, 0)];
    expect(analyzeConnectionLoss(silent, event, thresholds)).toMatchObject({
      ok: false,
      recoverySeconds: undefined,
    });
  });
});

describe('connection-loss timing', () => {
  it('never fires before CONNECTION_LOSS_AT when the timer comes early (mocked setTimeout firing 20 ms early)', async () => {
    const realSetTimeout = globalThis.setTimeout;
    // a timer on the monotonic clock may come a little before Date.now() reaches the due time; exaggerate that
    const early = ((fn: () => void, ms?: number) =>
      realSetTimeout(fn, Math.max(0, (ms ?? 0) - 20))) as typeof setTimeout;
    globalThis.setTimeout = early;
    try {
      const action = startConnectionLoss({
        atSeconds: 1,
        // nothing listens here: the terminate step fails fast and is recorded, the timing is what is checked
        adminUrl: 'postgres://nobody@127.0.0.1:1/none',
        role: '',
        applicationName: 'nobody-by-this-name',
        poolerAdminUrl: undefined,
        pgbouncerRestart: undefined,
      });
      const start = Date.now();
      action.arm(start - 900); // due in 100 ms
      await new Promise((r) => realSetTimeout(r, 400));
      const event = await action.stop();
      expect(event.atSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
  });
});
