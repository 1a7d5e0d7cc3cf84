/** k6's end-of-test data (the shape handleSummary receives in k6 0.4x, and in 1.x with --summary-mode=legacy). */
import { createHash } from 'node:crypto';
import type { MetricRegistry } from '../metrics/registry.js';
import { CounterSink, GaugeSink, RateSink, type Sink, TrendSink } from '../metrics/sinks.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { GroupNode } from '../native/context.js';

export interface K6Check {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface K6Group {
  name: string;
  path: string;
  id: string;
  groups: K6Group[];
  checks: K6Check[];
}

export interface K6Metric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'time' | 'data' | 'default';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6SummaryData {
  root_group: K6Group;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, K6Metric>;
  setup_data?: unknown;
}

export const defaultTrendStats = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

/** The trend stats preflight's summary reads (p99 and count besides k6's defaults), asked of either engine. */
export const reportedTrendStats = [...defaultTrendStats, 'p(99)', 'count'];

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function toK6Group(node: GroupNode): K6Group {
  return {
    name: node.name,
    path: node.path,
    id: md5(node.path),
    groups: [...node.groups.values()].map(toK6Group),
    checks: [...node.checks.values()].map((c) => ({
      name: c.name,
      path: `${node.path}::${c.name}`,
      id: md5(`${node.path}::${c.name}`),
      passes: c.passes,
      fails: c.fails,
    })),
  };
}

function sinkValues(sink: Sink, trendStats: string[], durationS: number): Record<string, number> | undefined {
  if (sink instanceof TrendSink) return sink.count ? sink.values(trendStats) : undefined;
  if (sink instanceof RateSink) return sink.total ? sink.values() : undefined;
  if (sink instanceof CounterSink) return sink.samples ? sink.values(durationS) : undefined;
  if (sink instanceof GaugeSink) return sink.samples ? sink.values() : undefined;
  return undefined;
}

/** Builds the data k6 passes to handleSummary, from the native engine's registry. */
export function buildK6Data(input: {
  registry: MetricRegistry;
  rootGroup: GroupNode;
  thresholds: ThresholdResult[];
  durationMs: number;
  trendStats?: string[];
  setupData?: unknown;
  /** Sub-metrics preflight tracks for itself (k6 reports only those with thresholds). */
  hiddenKeys?: Set<string>;
}): K6SummaryData {
  const trendStats = input.trendStats ?? defaultTrendStats;
  const durationS = input.durationMs / 1000;
  const metrics: Record<string, K6Metric> = {};
  const add = (key: string, type: K6Metric['type'], contains: K6Metric['contains'], sink: Sink) => {
    const values = sinkValues(sink, trendStats, durationS);
    const thresholds = input.thresholds.filter((t) => t.metric === key);
    if (!values && thresholds.length === 0) return;
    metrics[key] = { type, contains, values: values ?? {} };
    if (thresholds.length)
      metrics[key].thresholds = Object.fromEntries(thresholds.map((t) => [t.source, { ok: t.ok }]));
  };
  for (const metric of input.registry.metrics.values()) {
    add(metric.name, metric.type, metric.contains, metric.sink);
    for (const sub of metric.subs)
      if (!input.hiddenKeys?.has(sub.key)) add(sub.key, metric.type, metric.contains, sub.sink);
  }
  return {
    root_group: toK6Group(input.rootGroup),
    options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: false },
    state: {
      isStdOutTTY: Boolean(process.stdout.isTTY),
      isStdErrTTY: Boolean(process.stderr.isTTY),
      testRunDurationMs: input.durationMs,
    },
    metrics,
    setup_data: input.setupData,
  };
}
