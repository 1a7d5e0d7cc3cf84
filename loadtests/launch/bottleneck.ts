/**
 * Aligns resource samples with the client's per-second series and names the first resource to saturate, e.g.
 * "DB pool usage 100% from 240 req/s; p95 over 300 ms from 250 req/s". Pure: data in, report out.
 */
import type { SeriesPoint } from '../engine/metrics/timeseries.js';
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
  /** The server resource (DB pool, DB connections) that saturated, else the load generator when the resources had room. */
  bottleneck: SaturationEvent | undefined;
  events: SaturationEvent[];
  headline: string;
  samples: AlignedSample[];
  sampleErrors: string[];
}

const serverResources: EventKind[] = ['db-pool', 'db-connections'];
const DB_CONNECTIONS_SHARE = 0.9;
/** A pool this busy while the SLO is crossed is the limit, even when it never reads a clean 100%. */
export const POOL_PRESSURE_PERCENT = 90;

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

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The pool over the samples from the SLO crossing on (one sample period of slack): busy at the median or above. */
function findPoolPressure(
  aligned: AlignedSample[],
  fromT: number,
): { first: AlignedSample; median: number; peak: number } | undefined {
  const during = aligned.filter((a) => a.t >= fromT - 1 && a.poolUsagePercent !== undefined);
  const usage = during.map((a) => a.poolUsagePercent as number);
  const middle = median(usage);
  if (middle === undefined || middle < POOL_PRESSURE_PERCENT) return undefined;
  const first = during.find((a) => (a.poolUsagePercent as number) >= POOL_PRESSURE_PERCENT) as AlignedSample;
  return { first, median: middle, peak: Math.max(...usage) };
}

/** Whether the sampled resources had room: the pool and the connections under their lines in every sample. */
function resourcesHadRoom(aligned: AlignedSample[]): boolean | undefined {
  const sampled = aligned.filter((a) => a.poolUsagePercent !== undefined || a.dbConnections !== undefined);
  if (sampled.length === 0) return undefined;
  return sampled.every(
    (a) =>
      (a.poolUsagePercent ?? 0) < POOL_PRESSURE_PERCENT &&
      !(a.maxConnections && (a.dbConnections ?? 0) >= a.maxConnections * DB_CONNECTIONS_SHARE),
  );
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
  const level = (t: number) => levelAt(input.series, t);
  const slow = findSustained(input.series, (p) => p.p95 > input.slo.p95Ms);
  const failing = findSustained(input.series, (p) => p.errorRate > input.slo.errorRate);
  const crossedAt = Math.min(slow?.t ?? Number.POSITIVE_INFINITY, failing?.t ?? Number.POSITIVE_INFINITY);
  const pool = findPoolSaturation(aligned);
  const pressure = pool || !Number.isFinite(crossedAt) ? undefined : findPoolPressure(aligned, crossedAt);
  if (pool)
    events.push({
      kind: 'db-pool',
      t: pool.t,
      rps: level(pool.t),
      description: `DB pool usage 100%${pool.poolWaiting ? ` (${pool.poolWaiting} waiting)` : ''} from ${rate(level(pool.t))}`,
    });
  else if (pressure)
    events.push({
      kind: 'db-pool',
      t: pressure.first.t,
      rps: level(pressure.first.t),
      description: `DB pool usage ${Math.round(pressure.median)}% (median while over the SLO, peak ${Math.round(pressure.peak)}%) from ${rate(level(pressure.first.t))}`,
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
  if (slow)
    events.push({
      kind: 'latency',
      t: slow.t,
      rps: level(slow.t),
      description: `p95 over ${input.slo.p95Ms} ms from ${rate(level(slow.t))}`,
    });
  if (failing)
    events.push({
      kind: 'errors',
      t: failing.t,
      rps: level(failing.t),
      description: `errors/timeouts over ${input.slo.errorRate * 100}% from ${rate(level(failing.t))}`,
    });
  events.sort((a, b) => a.t - b.t);
  // the generator running out of VUs is usually the consequence of a server resource queueing requests: it is named
  // the bottleneck only when the samples show the target's resources had room all along
  const hadRoom = resourcesHadRoom(aligned);
  const bottleneck =
    events.find((e) => serverResources.includes(e.kind)) ??
    (hadRoom ? events.find((e) => e.kind === 'load-generator') : undefined);
  const others = events.filter((e) => e !== bottleneck);
  const sampled = hadRoom !== undefined;
  const poolPeak = Math.round(Math.max(0, ...aligned.map((a) => a.poolUsagePercent ?? 0)));
  const why = !sampled
    ? 'no resource samples to say why'
    : hadRoom || !events.some((e) => e.kind === 'load-generator')
      ? 'no sampled resource (DB pool, DB connections) saturated'
      : `the target's resources were busy too (DB pool peak ${poolPeak}%), so the generator is not blamed`;
  const headline = bottleneck
    ? [bottleneck, ...others].map((e) => e.description).join('; ')
    : others.length
      ? `${others.map((e) => e.description).join('; ')}; ${why}`
      : `no saturation: peak ${rate(Math.max(0, ...input.series.map((p) => p.rps)))} within the SLO${sampled ? `, DB pool peak ${poolPeak}%` : ''}`;
  return {
    bottleneck,
    events,
    headline,
    samples: aligned,
    sampleErrors: [...new Set(input.samples.flatMap((s) => s.errors))],
  };
}

/** What a capacity step leaves for naming the knee's bottleneck. */
export interface StepEvidence {
  targetRps: number;
  ok: boolean;
  droppedIterations: number;
  /** The step's own headline (analyzeBottleneck). */
  bottleneck: string;
  resources: {
    /** Pool usage of each resource sample of the step. */
    poolPercents: number[];
    /** DB connections / max_connections of each sample. */
    connectionShares: number[];
  };
}

/**
 * The bottleneck of a capacity search, from the evidence of the steps that missed the SLO: a pool (or the DB
 * connections) at 90% or more over them is named; the load generator only when it dropped iterations while the
 * sampled resources had room; otherwise the headline of the knee's step.
 */
export function nameKneeBottleneck(steps: StepEvidence[]): string | undefined {
  const failing = steps.filter((s) => !s.ok).sort((a, b) => a.targetRps - b.targetRps);
  const knee = failing[0];
  if (!knee) return undefined;
  const over = `over the ${failing.length} step${failing.length === 1 ? '' : 's'} missing the SLO`;
  const pool = failing.flatMap((s) => s.resources.poolPercents);
  const poolMedian = median(pool);
  if (poolMedian !== undefined && poolMedian >= POOL_PRESSURE_PERCENT)
    return `DB pool usage ${Math.round(poolMedian)}% (median ${over}, peak ${Math.round(Math.max(...pool))}%) from ${knee.targetRps} req/s`;
  const connections = failing.flatMap((s) => s.resources.connectionShares);
  const connectionsMedian = median(connections);
  if (connectionsMedian !== undefined && connectionsMedian >= DB_CONNECTIONS_SHARE)
    return `DB connections at ${Math.round(connectionsMedian * 100)}% of max_connections (median ${over}) from ${knee.targetRps} req/s`;
  const dropping = failing.find((s) => s.droppedIterations > 0);
  const sampled = pool.length > 0 || connections.length > 0;
  const hadRoom =
    sampled &&
    pool.every((p) => p < POOL_PRESSURE_PERCENT) &&
    connections.every((c) => c < DB_CONNECTIONS_SHARE);
  if (dropping && hadRoom)
    return `load generator out of VUs (dropped iterations) from ${dropping.targetRps} req/s while the DB pool peaked at ${Math.round(Math.max(0, ...pool))}%`;
  return knee.bottleneck;
}
