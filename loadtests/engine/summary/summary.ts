/** preflight's engine-independent run summary (results/<run-id>/summary.json) and its JSON Schema. */

import type {
  NormalizedCheck,
  NormalizedData,
  NormalizedMetric,
  NormalizedThreshold,
  SummaryShape,
} from '../k6/normalize.js';
import type { ErrorTally } from './no-success.js';
import type { ScenarioStats } from './scenario-stats.js';

/** `no-success`: every iteration threw, or the script's HTTP calls made no successful request. */
export type RunStatus = 'passed' | 'thresholds-failed' | 'no-success' | 'aborted' | 'error';

export interface LatencyStats {
  count: number;
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RunSummary {
  schemaVersion: 1;
  runId: string;
  engine: 'native' | 'k6';
  script: string;
  target: string | undefined;
  startedAt: string;
  durationMs: number;
  status: RunStatus;
  exitCode: number;
  abort: { kind: string; reason: string } | undefined;
  /** Per scenario; the figures are known on the native engine. */
  scenarios: Array<{ name: string; executor: string } & Partial<Omit<ScenarioStats, 'name' | 'executor'>>>;
  metrics: Record<string, NormalizedMetric>;
  thresholds: NormalizedThreshold[];
  checks: NormalizedCheck[];
  /** http_req_duration; `corrected` only when an arrival-rate executor ran (coordinated omission). */
  latency: { uncorrected: LatencyStats | undefined; corrected: LatencyStats | undefined };
  iterationErrors: number;
  /** The first distinct iteration error messages, each with how many times it occurred. */
  iterationErrorMessages: ErrorTally[];
  /** Why the run did nothing that succeeded (it then fails whatever its thresholds say). */
  nothingSucceeded: string | undefined;
  /** Which k6 data shape was normalized (k6 engine) or `native`. */
  source: SummaryShape | 'native';
  workers: number;
}

function toLatency(
  metric: NormalizedMetric | undefined,
  count: number | undefined,
): LatencyStats | undefined {
  if (!metric) return undefined;
  const v = metric.values;
  return {
    count: count ?? v.count ?? 0,
    avg: v.avg ?? 0,
    p50: v.med ?? v['p(50)'] ?? 0,
    p95: v['p(95)'] ?? 0,
    p99: v['p(99)'] ?? 0,
    max: v.max ?? 0,
  };
}

/** Builds the summary from normalized k6 data plus what the run knows. */
export function buildRunSummary(
  data: NormalizedData,
  run: Omit<
    RunSummary,
    'schemaVersion' | 'metrics' | 'thresholds' | 'checks' | 'latency' | 'source' | 'durationMs'
  > & {
    durationMs?: number;
    thresholds?: NormalizedThreshold[];
    source?: RunSummary['source'];
  },
): RunSummary {
  const reqs = data.metrics.http_reqs?.values.count;
  return {
    schemaVersion: 1,
    ...run,
    durationMs: run.durationMs ?? data.durationMs ?? 0,
    metrics: data.metrics,
    thresholds: run.thresholds ?? data.thresholds,
    checks: data.checks,
    latency: {
      uncorrected: toLatency(data.metrics.http_req_duration, reqs),
      corrected: toLatency(
        data.metrics.http_req_duration_corrected,
        data.metrics.http_req_duration_corrected?.values.count,
      ),
    },
    source: run.source ?? data.shape,
  };
}

const latencySchema = {
  type: 'object',
  required: ['count', 'avg', 'p50', 'p95', 'p99', 'max'],
  properties: Object.fromEntries(
    ['count', 'avg', 'p50', 'p95', 'p99', 'max'].map((k) => [k, { type: 'number' }]),
  ),
};

/** JSON Schema (draft-07) of summary.json. */
export const runSummarySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://preflight.dev/schemas/load-summary.schema.json',
  title: 'preflight load run summary',
  type: 'object',
  required: [
    'schemaVersion',
    'runId',
    'engine',
    'script',
    'startedAt',
    'durationMs',
    'status',
    'exitCode',
    'scenarios',
    'metrics',
    'thresholds',
    'checks',
    'latency',
    'iterationErrors',
    'iterationErrorMessages',
    'source',
    'workers',
  ],
  properties: {
    schemaVersion: { const: 1 },
    runId: { type: 'string' },
    engine: { enum: ['native', 'k6'] },
    script: { type: 'string' },
    target: { type: ['string', 'null'] },
    startedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'number', minimum: 0 },
    status: { enum: ['passed', 'thresholds-failed', 'no-success', 'aborted', 'error'] },
    exitCode: { type: 'integer' },
    abort: { type: ['object', 'null'], properties: { kind: { type: 'string' }, reason: { type: 'string' } } },
    scenarios: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'executor'],
        properties: { name: { type: 'string' }, executor: { type: 'string' } },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type', 'contains', 'values'],
        properties: {
          type: { enum: ['counter', 'gauge', 'rate', 'trend'] },
          contains: { enum: ['time', 'data', 'default'] },
          values: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
    },
    thresholds: {
      type: 'array',
      items: {
        type: 'object',
        required: ['metric', 'source', 'ok'],
        properties: {
          metric: { type: 'string' },
          source: { type: 'string' },
          ok: { type: 'boolean' },
          observed: { type: 'number' },
          abortOnFail: { type: 'boolean' },
        },
      },
    },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'name', 'passes', 'fails'],
        properties: {
          path: { type: 'string' },
          name: { type: 'string' },
          passes: { type: 'integer' },
          fails: { type: 'integer' },
        },
      },
    },
    latency: {
      type: 'object',
      properties: {
        uncorrected: { oneOf: [latencySchema, { type: 'null' }] },
        corrected: { oneOf: [latencySchema, { type: 'null' }] },
      },
    },
    iterationErrors: { type: 'integer', minimum: 0 },
    iterationErrorMessages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['message', 'count'],
        properties: { message: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
      },
    },
    nothingSucceeded: { type: ['string', 'null'] },
    source: { enum: ['legacy', 'report', 'summary-export', 'native'] },
    workers: { type: 'integer', minimum: 1 },
  },
} as const;
