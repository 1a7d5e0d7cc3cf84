/**
 * Aligns resource samples with the client's per-second series and names the first resource to saturate, e.g.
 * "DB pool usage 100% from 240 req/s; p95 over 300 ms from 250 req/s". Pure: data in, report out.
 */
import type { SeriesPoint } from '../engine/timeseries.js';
import type { ResourceSample } from './sampler.js';

export interface Slo {
  p95Ms: number;
  errorRate: number;
}

export type EventKind = 'db-pool' | 'db-connections' | 'load-generator' | 'latency' | 'errors';

export interface SaturationEvent {
  kind: EventKind;
  /** Seconds since the test started. */
  t: number;
  /** Client requests per second when it happened. */
  rps: number;
  description: string;
}

export interface AlignedSample {
  t: number;
  rps: number;
  p95: number;
  errorRate: number;
  poolUsagePercent: number | undefined;
  poolWaiting: number | undefined;
  dbConnections: number | undefined;
  dbActive: number | undefined;
  maxConnections: number | undefined;
}

export interface BottleneckReport {
  /** The first server resource (DB pool, DB connections) to saturate, else the load generator; undefined when none did. */
  bottleneck: SaturationEvent | undefined;
  events: SaturationEvent[];
  headline: string;
  samples: AlignedSample[];
  sampleErrors: string[];
}

const serverResources: EventKind[] = ['db-pool', 'db-connections'];
const DB_CONNECTIONS_SHARE = 0.9;

function pointAt(series: SeriesPoint[], t: number): SeriesPoint | undefined {
  const second = Math.floor(t);
  return series.find((p) => p.t === second) ?? series.find((p) => p.t === second - 1);
}

export function alignSamples(
  samples: ResourceSample[],
  series: SeriesPoint[],
  testStartMs: number,
): AlignedSample[] {
  return samples
    .map((s) => ({ s, t: (s.atMs - testStartMs) / 1000 }))
    .filter(({ t }) => t >= 0)
    .map(({ s, t }) => {
      const point = pointAt(series, t);
      return {
        t: Math.round(t * 10) / 10,
        rps: point?.rps ?? 0,
        p95: point?.p95 ?? 0,
        errorRate: point?.errorRate ?? 0,
        poolUsagePercent: s.pool?.usagePercent,
        poolWaiting: s.pool?.waiting,
        dbConnections: s.database?.total,
        dbActive: s.database?.byState.active,
        maxConnections: s.database?.maxConnections,
      };
    });
}

/** The pool counts as saturated when fully used with requests queued, or fully used in two samples in a row. */
function findPoolSaturation(aligned: AlignedSample[]): AlignedSample | undefined {
  return aligned.find((a, i) => {
    if ((a.poolUsagePercent ?? 0) < 100) return false;
    if ((a.poolWaiting ?? 0) > 0) return true;
    return (aligned[i + 1]?.poolUsagePercent ?? 0) >= 100;
  });
}

/** A symptom counts from the first of two consecutive seconds over the line (or the last second of the run). */
function findSustained(series: SeriesPoint[], over: (p: SeriesPoint) => boolean): SeriesPoint | undefined {
  const busy = series.filter((p) => p.rps > 0);
  return busy.find((p, i) => over(p) && (i === busy.length - 1 || over(busy[i + 1] as SeriesPoint)));
}

const rate = (rps: number) => `${Math.round(rps)} req/s`;

/** The load level reached by second t: the highest throughput so far (a queueing target answers fewer req/s). */
function levelAt(series: SeriesPoint[], t: number): number {
  return Math.max(0, ...series.filter((p) => p.t <= Math.floor(t)).map((p) => p.rps));
}

export function analyzeBottleneck(input: {
  samples: ResourceSample[];
  series: SeriesPoint[];
  testStartMs: number;
  slo: Slo;
}): BottleneckReport {
  const aligned = alignSamples(input.samples, input.series, input.testStartMs);
  const events: SaturationEvent[] = [];
  const pool = findPoolSaturation(aligned);
  const level = (t: number) => levelAt(input.series, t);
  if (pool)
    events.push({
      kind: 'db-pool',
      t: pool.t,
      rps: level(pool.t),
      description: `DB pool usage 100%${pool.poolWaiting ? ` (${pool.poolWaiting} waiting)` : ''} from ${rate(level(pool.t))}`,
    });
  const connections = aligned.find(
    (a) =>
      a.maxConnections &&
      a.dbConnections !== undefined &&
      a.dbConnections >= a.maxConnections * DB_CONNECTIONS_SHARE,
  );
  if (connections)
    events.push({
      kind: 'db-connections',
      t: connections.t,
      rps: level(connections.t),
      description: `DB connections ${connections.dbConnections}/${connections.maxConnections} from ${rate(level(connections.t))}`,
    });
  const dropped = input.series.find((p) => p.droppedIterations > 0);
  if (dropped)
    events.push({
      kind: 'load-generator',
      t: dropped.t,
      rps: level(dropped.t),
      description: `load generator out of VUs (dropped iterations) from ${rate(level(dropped.t))}`,
    });
  const slow = findSustained(input.series, (p) => p.p95 > input.slo.p95Ms);
  if (slow)
    events.push({
      kind: 'latency',
      t: slow.t,
      rps: level(slow.t),
      description: `p95 over ${input.slo.p95Ms} ms from ${rate(level(slow.t))}`,
    });
  const failing = findSustained(input.series, (p) => p.errorRate > input.slo.errorRate);
  if (failing)
    events.push({
      kind: 'errors',
      t: failing.t,
      rps: level(failing.t),
      description: `errors/timeouts over ${input.slo.errorRate * 100}% from ${rate(level(failing.t))}`,
    });
  events.sort((a, b) => a.t - b.t);
  // the generator running out of VUs is usually the consequence of a server resource queueing requests: it is named
  // the bottleneck only when no server resource saturated at all
  const bottleneck =
    events.find((e) => serverResources.includes(e.kind)) ?? events.find((e) => e.kind === 'load-generator');
  const others = events.filter((e) => e !== bottleneck);
  const sampled = aligned.some((a) => a.poolUsagePercent !== undefined || a.dbConnections !== undefined);
  const headline = bottleneck
    ? [bottleneck, ...others].map((e) => e.description).join('; ')
    : others.length
      ? `${others.map((e) => e.description).join('; ')}; ${sampled ? 'no sampled resource (DB pool, DB connections) saturated' : 'no resource samples to say why'}`
      : `no saturation: peak ${rate(Math.max(0, ...input.series.map((p) => p.rps)))} within the SLO${sampled ? `, DB pool peak ${Math.round(Math.max(0, ...aligned.map((a) => a.poolUsagePercent ?? 0)))}%` : ''}`;
  return {
    bottleneck,
    events,
    headline,
    samples: aligned,
    sampleErrors: [...new Set(input.samples.flatMap((s) => s.errors))],
  };
}
