/** Test helper: a results directory as the native engine writes it, for a run of `seconds` seconds (one point a second). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeSyntheticRun(
  root: string,
  seconds: number,
  runId = '20261130T120000Z-soak-test',
): string {
  const dir = join(root, runId);
  mkdirSync(dir, { recursive: true });
  // a slow ramp with a wave and a few spikes, so every chart has shape
  const points = Array.from({ length: seconds }, (_, t) => {
    const wave = Math.sin(t / 120);
    const spike = t % 900 === 450 ? 400 : 0;
    return {
      t,
      rps: Math.round(200 + 50 * wave + (t % 7)),
      errorRate: t % 600 === 300 ? 0.05 : 0.001 * (1 + wave),
      p50: 20 + 5 * wave,
      p95: 60 + 20 * wave + spike,
      p99: 90 + 30 * wave + spike * 1.5,
      vus: 50 + Math.round(10 * wave),
      iterations: 100,
      droppedIterations: 0,
    };
  });
  const latency = { count: seconds * 200, avg: 25, p50: 20, p95: 70, p99: 120, max: 600 };
  const summary = {
    schemaVersion: 1,
    runId,
    engine: 'native',
    script: '/repo/loadtests/scenarios/soak.ts',
    target: 'sandbox',
    startedAt: '2026-11-30T12:00:00.000Z',
    durationMs: seconds * 1000,
    status: 'thresholds-failed',
    exitCode: 99,
    scenarios: [
      {
        name: 'soak',
        executor: 'constant-arrival-rate',
        requests: seconds * 200,
        requestsPerSecond: 200,
        errorRate: 0.001,
        p95: 70,
      },
    ],
    metrics: {
      http_req_failed: {
        type: 'rate',
        contains: 'default',
        values: { rate: 0.0012, passes: 864, fails: 719136 },
      },
      soak_orders: { type: 'counter', contains: 'default', values: { count: 4321, rate: 1.2 } },
    },
    thresholds: [
      { metric: 'http_req_duration', source: 'p(95)<500', ok: true, observed: 70, abortOnFail: false },
      { metric: 'http_req_failed', source: 'rate<0.001', ok: false, observed: 0.0012, abortOnFail: false },
    ],
    checks: [{ path: '::status is 200', name: 'status is 200', passes: 719136, fails: 864 }],
    latency: { uncorrected: latency, corrected: { ...latency, p95: 95, p99: 180 } },
    iterationErrors: 0,
    iterationErrorMessages: [],
    source: 'native',
    workers: 1,
  };
  const samples = Array.from({ length: Math.floor(seconds / 2) }, (_, i) => ({
    t: i * 2 + 0.5,
    rps: 200,
    p95: 60 + 20 * Math.sin(i / 60),
    errorRate: 0,
    poolUsagePercent: 40 + 30 * Math.sin(i / 60),
    poolWaiting: 0,
    dbConnections: 10 + (i % 5),
    maxConnections: 100,
  }));
  const launch = {
    exitCode: 1,
    bottleneck: {
      events: [{ kind: 'latency', t: 450, rps: 200, description: 'p95 over 300 ms from 200 req/s' }],
      headline: 'p95 over 300 ms from 200 req/s',
      samples,
      sampleErrors: [],
    },
    invariants: [],
    cleanup: { method: 'none', created: 0, bookings: [], removed: 0, leftover: [], errors: [] },
  };
  const files: Record<string, unknown> = {
    'summary.json': summary,
    'timeseries.json': { runId, intervalMs: 1000, points },
    'thresholds.json': { runId, ok: false, thresholds: summary.thresholds },
    'launch.json': launch,
  };
  for (const [name, value] of Object.entries(files))
    writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  return dir;
}
