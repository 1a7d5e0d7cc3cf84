/** The metric registry: k6's built-in metrics, custom metrics, sub-metrics for threshold selectors, per-series sinks for remote write. */
import { usageError } from '../../../src/core/errors.js';
import { createSink, type MetricType, type Sink } from './sinks.js';

export type Tags = Record<string, string>;

export interface SubMetric {
  /** The selector as written, e.g. `http_req_duration{scenario:booking}`. */
  key: string;
  filter: Array<[string, string]>;
  sink: Sink;
}

export interface Metric {
  name: string;
  type: MetricType;
  contains: 'time' | 'data' | 'default';
  sink: Sink;
  subs: SubMetric[];
  /** Per tag set, only when series are tracked (remote write). */
  series: Map<string, { tags: Tags; sink: Sink }> | undefined;
}

export const builtinMetrics: Array<[string, MetricType, Metric['contains']]> = [
  ['http_reqs', 'counter', 'default'],
  ['http_req_duration', 'trend', 'time'],
  ['http_req_blocked', 'trend', 'time'],
  ['http_req_connecting', 'trend', 'time'],
  ['http_req_tls_handshaking', 'trend', 'time'],
  ['http_req_sending', 'trend', 'time'],
  ['http_req_waiting', 'trend', 'time'],
  ['http_req_receiving', 'trend', 'time'],
  ['http_req_failed', 'rate', 'default'],
  ['iterations', 'counter', 'default'],
  ['iteration_duration', 'trend', 'time'],
  ['checks', 'rate', 'default'],
  ['data_sent', 'counter', 'data'],
  ['data_received', 'counter', 'data'],
  ['vus', 'gauge', 'default'],
  ['vus_max', 'gauge', 'default'],
  ['dropped_iterations', 'counter', 'default'],
  // Coordinated-omission corrected latency (arrival-rate executors): measured from the intended start.
  ['http_req_duration_corrected', 'trend', 'time'],
  ['iteration_duration_corrected', 'trend', 'time'],
];

/** Tags kept on remote-write series (k6's high-cardinality `url` is dropped as k6 does for Prometheus by default). */
const seriesTagNames = ['scenario', 'name', 'method', 'status', 'expected_response', 'group', 'check'];

function getSeriesKey(tags: Tags): string {
  let key = '';
  for (const t of seriesTagNames) key += `${tags[t] ?? ''}\u0000`;
  return key;
}

export interface MetricSnapshot {
  name: string;
  type: MetricType;
  contains: Metric['contains'];
  sink: unknown;
  subs: Array<{ key: string; sink: unknown }>;
  series?: Array<{ tags: Tags; sink: unknown }>;
}

/** Parses `name{tag:value,tag2:value}` into the metric name and a tag filter. */
export function parseSelector(key: string): { name: string; filter: Array<[string, string]> } {
  const match = /^([\w.-]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!match)
    throw usageError(`Invalid threshold metric \`${key}\``, 'write `metric` or `metric{tag:value}`');
  const filter: Array<[string, string]> = [];
  for (const part of (match[2] ?? '').split(',').filter((p) => p.trim())) {
    const idx = part.indexOf(':');
    if (idx < 0) throw usageError(`Invalid sub-metric selector \`${key}\``, 'write tags as `{tag:value}`');
    filter.push([
      part.slice(0, idx).trim(),
      part
        .slice(idx + 1)
        .trim()
        .replace(/^["']|["']$/g, ''),
    ]);
  }
  return { name: match[1]!, filter };
}

export class MetricRegistry {
  readonly metrics = new Map<string, Metric>();
  private readonly pendingSubs = new Map<string, string[]>();
  trackSeries = false;
  /** Changes whenever a metric gains a sub-metric or series: callers that cached "no tags needed" look again. */
  version = 0;

  constructor() {
    for (const [name, type, contains] of builtinMetrics) this.define(name, type, contains);
  }

  /** Defines (or returns) a metric; redefining with another type is a script error, as in k6. */
  define(name: string, type: MetricType, contains: Metric['contains'] = 'default'): Metric {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type)
        throw usageError(`Metric "${name}" is already a ${existing.type}, cannot redefine it as a ${type}`);
      if (contains === 'time') existing.contains = 'time';
      return existing;
    }
    if (!/^[a-zA-Z_][\w]{0,127}$/.test(name))
      throw usageError(`Invalid metric name "${name}"`, 'use letters, digits and underscores (k6 rules)');
    const metric: Metric = {
      name,
      type,
      contains,
      sink: createSink(type),
      subs: [],
      series: this.trackSeries ? new Map() : undefined,
    };
    this.metrics.set(name, metric);
    this.version++;
    for (const key of this.pendingSubs.get(name) ?? []) this.addSub(metric, key);
    this.pendingSubs.delete(name);
    return metric;
  }

  /** Registers a sub-metric for a threshold selector (the metric may be defined later by the script). */
  addSelector(key: string): void {
    const { name, filter } = parseSelector(key);
    if (filter.length === 0) return;
    const metric = this.metrics.get(name);
    if (metric) this.addSub(metric, key);
    else this.pendingSubs.set(name, [...(this.pendingSubs.get(name) ?? []), key]);
  }

  private addSub(metric: Metric, key: string): void {
    if (metric.subs.some((s) => s.key === key)) return;
    this.version++;
    metric.subs.push({ key, filter: parseSelector(key).filter, sink: createSink(metric.type) });
  }

  enableSeries(): void {
    this.trackSeries = true;
    this.version++;
    for (const metric of this.metrics.values()) metric.series ??= new Map();
  }

  /** Whether a sample of `metric` needs its tags (a sub-metric filters on them, or series are kept). */
  needsTags(metric: Metric): boolean {
    return metric.subs.length !== 0 || metric.series !== undefined;
  }

  add(metric: Metric, value: number, tags: Tags): void {
    metric.sink.add(value);
    if (metric.subs.length === 0 && !metric.series) return;
    for (const sub of metric.subs) {
      let match = true;
      for (const [k, v] of sub.filter) {
        if (tags[k] !== v) {
          match = false;
          break;
        }
      }
      if (match) sub.sink.add(value);
    }
    if (metric.series) {
      const key = getSeriesKey(tags);
      let entry = metric.series.get(key);
      if (!entry) {
        const kept: Tags = {};
        for (const [k, v] of Object.entries(tags)) if (k !== 'url' && v !== '') kept[k] = v;
        entry = { tags: kept, sink: createSink(metric.type) };
        metric.series.set(key, entry);
      }
      entry.sink.add(value);
    }
  }

  /** The sink for a threshold key (`metric` or `metric{tag:value}`), or undefined when the metric never existed. */
  getSink(key: string): { metric: Metric; sink: Sink } | undefined {
    const { name, filter } = parseSelector(key);
    const metric = this.metrics.get(name);
    if (!metric) return undefined;
    if (filter.length === 0) return { metric, sink: metric.sink };
    const sub = metric.subs.find((s) => s.key === key);
    return sub ? { metric, sink: sub.sink } : undefined;
  }

  snapshot(): MetricSnapshot[] {
    return [...this.metrics.values()].map((m) => ({
      name: m.name,
      type: m.type,
      contains: m.contains,
      sink: m.sink.toJSON(),
      subs: m.subs.map((s) => ({ key: s.key, sink: s.sink.toJSON() })),
      series: m.series
        ? [...m.series.values()].map((s) => ({ tags: s.tags, sink: s.sink.toJSON() }))
        : undefined,
    }));
  }

  merge(snapshots: MetricSnapshot[]): void {
    for (const snap of snapshots) {
      const metric = this.define(snap.name, snap.type, snap.contains);
      // biome-ignore lint/suspicious/noExplicitAny: sink JSON matches the sink's own toJSON
      metric.sink.merge(snap.sink as any);
      for (const sub of snap.subs) {
        this.addSub(metric, sub.key);
        // biome-ignore lint/suspicious/noExplicitAny: as above
        metric.subs.find((s) => s.key === sub.key)?.sink.merge(sub.sink as any);
      }
      for (const series of snap.series ?? []) {
        if (!metric.series) {
          metric.series = new Map();
          this.version++;
        }
        const key = getSeriesKey(series.tags);
        let entry = metric.series.get(key);
        if (!entry) {
          entry = { tags: series.tags, sink: createSink(metric.type) };
          metric.series.set(key, entry);
        }
        // biome-ignore lint/suspicious/noExplicitAny: as above
        entry.sink.merge(series.sink as any);
      }
    }
  }
}
