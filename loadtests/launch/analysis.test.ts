// The pure parts of the launch layer: SLO parsing and the bottleneck analysis (the exposition reader is tested in src/core/exposition.test.ts).
import { describe, expect, it } from 'vitest';
import { isPreflightError } from '../../src/core/errors.js';
import type { SeriesPoint } from '../engine/metrics/timeseries.js';
import { analyzeBottleneck, nameKneeBottleneck, type StepEvidence } from './bottleneck.js';
import type { ResourceSample } from './sampler.js';
import { meetsClause, parseSlo } from './slo.js';

const point = (t: number, rps: number, p95: number, errorRate = 0, droppedIterations = 0): SeriesPoint => ({
  t,
  rps,
  errorRate,
  p50: p95 / 2,
  p95,
  p99: p95 * 1.5,
  vus: 10,
  iterations: rps,
  droppedIterations,
});

const sample = (atMs: number, usagePercent: number, waiting = 0, dbTotal?: number): ResourceSample => ({
  atMs,
  pool: { usagePercent, checkedOut: (usagePercent / 100) * 2, size: 2, waiting },
  inProgress: 1,
  database:
    dbTotal === undefined
      ? undefined
      : { total: dbTotal, byState: { active: dbTotal }, byWaitEvent: {}, maxConnections: 100 },
  errors: [],
});

describe('parseSlo', () => {
  it('reads latency clauses on http_req_duration and rate on http_req_failed', () => {
    expect(parseSlo('p(95)<300, rate<0.01')).toEqual([
      { source: 'p(95)<300', metric: 'http_req_duration', aggregation: 'p(95)', operator: '<', value: 300 },
      { source: 'rate<0.01', metric: 'http_req_failed', aggregation: 'rate', operator: '<', value: 0.01 },
    ]);
    expect(meetsClause(299, parseSlo('p(95)<300')[0]!)).toBe(true);
    expect(meetsClause(300, parseSlo('p(95)<300')[0]!)).toBe(false);
    expect(meetsClause(300, parseSlo('p(95)<=300')[0]!)).toBe(true);
    expect(meetsClause(undefined, parseSlo('rate<0.01')[0]!)).toBe(false);
  });

  it('names a clause it cannot read', () => {
    let error: unknown;
    try {
      parseSlo('p(95)<300,p95 under 300');
    } catch (e) {
      error = e;
    }
    expect(isPreflightError(error) && error.code).toBe('E_USAGE');
    expect((error as Error).message).toContain('`p95 under 300`');
  });
});

describe('analyzeBottleneck', () => {
  const start = 1_000_000;
  const series = [
    point(0, 50, 20),
    point(1, 100, 40),
    point(2, 150, 120),
    point(3, 200, 400),
    point(4, 250, 700, 0.05),
  ];
  const slo = { p95Ms: 300, errorRate: 0.01 };

  it('names the pool when it fills before latency crosses the SLO, with the rates', () => {
    const samples = [
      sample(start + 500, 50),
      sample(start + 1500, 100, 0),
      sample(start + 2500, 100, 4),
      sample(start + 3500, 100, 9),
    ];
    const report = analyzeBottleneck({ samples, series, testStartMs: start, slo });
    expect(report.bottleneck?.kind).toBe('db-pool');
    expect(report.headline).toBe(
      'DB pool usage 100% from 100 req/s; p95 over 300 ms from 200 req/s; errors/timeouts over 1% from 250 req/s',
    );
    expect(report.samples.map((s) => s.t)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('does not call one full sample with nobody waiting a saturation', () => {
    const samples = [sample(start + 500, 100, 0), sample(start + 1500, 50), sample(start + 2500, 50)];
    const report = analyzeBottleneck({ samples, series, testStartMs: start, slo });
    expect(report.bottleneck).toBeUndefined();
    expect(report.headline).toBe(
      'p95 over 300 ms from 200 req/s; errors/timeouts over 1% from 250 req/s; no sampled resource (DB pool, DB connections) saturated',
    );
  });

  it('names database connections near max_connections', () => {
    const samples = [sample(start + 500, 10, 0, 20), sample(start + 1500, 10, 0, 95)];
    const report = analyzeBottleneck({ samples, series: series.slice(0, 2), testStartMs: start, slo });
    expect(report.bottleneck?.kind).toBe('db-connections');
    expect(report.headline).toBe('DB connections 95/100 from 100 req/s');
  });

  it('reports the peak when nothing saturated', () => {
    const report = analyzeBottleneck({
      samples: [sample(start + 500, 25)],
      series: series.slice(0, 2),
      testStartMs: start,
      slo,
    });
    expect(report.events).toEqual([]);
    expect(report.headline).toBe('no saturation: peak 100 req/s within the SLO, DB pool peak 25%');
  });

  it('reports the load level reached, not the collapsed throughput of a queueing target', () => {
    const collapsing = [point(0, 100, 20), point(1, 200, 50), point(2, 60, 900), point(3, 50, 1500)];
    const report = analyzeBottleneck({ samples: [], series: collapsing, testStartMs: start, slo });
    expect(report.headline).toBe('p95 over 300 ms from 200 req/s; no resource samples to say why');
  });

  it('names the pool, not the generator, when dropped iterations come first but the pool saturates too', () => {
    const dropping = [point(0, 50, 20), point(1, 100, 200, 0, 3), point(2, 150, 400), point(3, 150, 600)];
    const samples = [sample(start + 500, 50), sample(start + 2500, 100, 6)];
    const report = analyzeBottleneck({ samples, series: dropping, testStartMs: start, slo });
    expect(report.bottleneck?.kind).toBe('db-pool');
    expect(report.headline).toBe(
      'DB pool usage 100% (6 waiting) from 150 req/s; load generator out of VUs (dropped iterations) from 100 req/s; p95 over 300 ms from 150 req/s',
    );
    const onlyDropping = analyzeBottleneck({
      samples: [sample(start + 500, 50)],
      series: dropping,
      testStartMs: start,
      slo,
    });
    expect(onlyDropping.bottleneck?.kind).toBe('load-generator');
  });
});

describe('bottlenecks named from the evidence', () => {
  const start = 2_000_000;
  const slo = { p95Ms: 300, errorRate: 0.01 };
  // one step of a capacity search as a run records it: latency crosses the SLO from second 3, iterations drop
  const knee = [
    point(0, 120, 150),
    point(1, 160, 240),
    point(2, 180, 290, 0, 12),
    point(3, 180, 520, 0, 40),
    point(4, 175, 610, 0.004, 55),
    point(5, 178, 640, 0.006, 61),
  ];

  it('names a pool reading 88-100% over the seconds past the SLO, not the generator that dropped iterations', () => {
    const samples = [88, 93, 100, 96, 91, 99].map((usage, i) => sample(start + 500 + i * 1000, usage));
    const report = analyzeBottleneck({ samples, series: knee, testStartMs: start, slo });
    expect(report.bottleneck?.kind).toBe('db-pool');
    expect(report.headline).toBe(
      'DB pool usage 98% (median while over the SLO, peak 100%) from 180 req/s; load generator out of VUs (dropped iterations) from 180 req/s; p95 over 300 ms from 180 req/s',
    );
  });

  it('names the load generator only when it dropped iterations while the pool had room', () => {
    const samples = [20, 35, 41, 44, 40, 38].map((usage, i) => sample(start + 500 + i * 1000, usage));
    const report = analyzeBottleneck({ samples, series: knee, testStartMs: start, slo });
    expect(report.bottleneck?.kind).toBe('load-generator');
    const unsampled = analyzeBottleneck({ samples: [], series: knee, testStartMs: start, slo });
    expect(unsampled.bottleneck).toBeUndefined();
    expect(unsampled.headline).toBe(
      'load generator out of VUs (dropped iterations) from 180 req/s; p95 over 300 ms from 180 req/s; no resource samples to say why',
    );
  });

  it('does not blame the generator when the pool was busy but the SLO held', () => {
    const within = knee.map((p) => ({ ...p, p95: 100, errorRate: 0 }));
    const samples = [60, 92, 95, 94, 96, 93].map((usage, i) => sample(start + 500 + i * 1000, usage));
    const report = analyzeBottleneck({ samples, series: within, testStartMs: start, slo });
    expect(report.bottleneck).toBeUndefined();
    expect(report.headline).toBe(
      "load generator out of VUs (dropped iterations) from 180 req/s; the target's resources were busy too (DB pool peak 96%), so the generator is not blamed",
    );
  });

  const step = (
    targetRps: number,
    ok: boolean,
    poolPercents: number[],
    droppedIterations = 0,
    bottleneck = `step ${targetRps}`,
  ): StepEvidence => ({
    targetRps,
    ok,
    droppedIterations,
    bottleneck,
    resources: { poolPercents, connectionShares: poolPercents.map(() => 0.2) },
  });

  it('names the pool of a capacity knee from the steps that missed the SLO (recorded steps)', () => {
    const steps = [
      step(40, true, [35, 41, 44, 39]),
      step(80, true, [61, 70, 74, 69]),
      step(
        160,
        false,
        [88, 97, 100, 100, 98],
        412,
        'load generator out of VUs (dropped iterations) from 150 req/s',
      ),
      step(120, false, [91, 95, 100, 89], 96),
      step(100, true, [80, 86, 88, 84]),
      step(110, false, [88, 90, 93, 92], 20),
    ];
    expect(nameKneeBottleneck(steps)).toBe(
      'DB pool usage 93% (median over the 3 steps missing the SLO, peak 100%) from 110 req/s',
    );
  });

  it('names the generator of a capacity knee only when the pool had room in every failing step', () => {
    const roomy = [step(50, true, [20, 25]), step(100, false, [30, 41, 38], 250)];
    expect(nameKneeBottleneck(roomy)).toBe(
      'load generator out of VUs (dropped iterations) from 100 req/s while the DB pool peaked at 41%',
    );
    const unsampled = [step(50, true, []), step(100, false, [], 250, 'p95 over 300 ms from 100 req/s')];
    expect(nameKneeBottleneck(unsampled)).toBe('p95 over 300 ms from 100 req/s');
    const busyButUnder = [step(100, false, [70, 95, 60], 0, 'p95 over 300 ms from 100 req/s')];
    expect(nameKneeBottleneck(busyButUnder)).toBe('p95 over 300 ms from 100 req/s');
    expect(nameKneeBottleneck([step(100, true, [99])])).toBeUndefined();
  });
});
