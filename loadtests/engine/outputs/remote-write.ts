/**
 * Prometheus remote write from the native engine, with the series names of k6's experimental-prometheus-rw
 * output: counters `k6_<name>_total`, gauges `k6_<name>`, rates `k6_<name>_rate`, trends `k6_<name>_<stat>`
 * (p99, p95, avg, med, min, max, count; time values in seconds). Tags become labels (`url` is dropped).
 */
import { compress } from 'snappyjs';
import { redactUrl } from '../../../src/core/redact.js';
import type { MetricRegistry } from '../metrics/registry.js';
import { CounterSink, GaugeSink, RateSink, type Sink, TrendSink } from '../metrics/sinks.js';
import { encodeWriteRequest, type PromSeries } from './protobuf.js';

export interface RemoteWriteConfig {
  url: string;
  /** k6's K6_PROMETHEUS_RW_PUSH_INTERVAL (default 5 s). */
  intervalMs?: number;
  /** k6's K6_PROMETHEUS_RW_TREND_STATS. */
  trendStats?: string[];
  /** Checked before every push (the host guard). */
  guard?: (url: URL) => void;
}

export const defaultRemoteTrendStats = ['p(95)', 'p(99)', 'avg', 'med', 'min', 'max', 'count'];

/** `p(99.9)` -> `p999`, `avg` -> `avg` (k6's suffixes). */
export function getStatSuffix(stat: string): string {
  const match = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  return match ? `p${match[1]!.replace('.', '')}` : stat;
}

function seriesOf(
  name: string,
  contains: string,
  sink: Sink,
  labels: Record<string, string>,
  stats: string[],
  ts: number,
): PromSeries[] {
  const one = (metricName: string, value: number): PromSeries => ({
    labels: { ...labels, __name__: metricName },
    samples: [{ value, timestampMs: ts }],
  });
  if (sink instanceof CounterSink) return [one(`k6_${name}_total`, sink.count)];
  if (sink instanceof GaugeSink) return sink.samples ? [one(`k6_${name}`, sink.value)] : [];
  if (sink instanceof RateSink) return sink.total ? [one(`k6_${name}_rate`, sink.passes / sink.total)] : [];
  if (sink instanceof TrendSink) {
    if (!sink.count) return [];
    const scale = contains === 'time' ? 1 / 1000 : 1;
    return stats.map((stat) => {
      const value = sink.stat(stat) ?? 0;
      return one(`k6_${name}_${getStatSuffix(stat)}`, stat === 'count' ? value : value * scale);
    });
  }
  return [];
}

/** Converts a registry's per-series sinks into remote-write series. */
export function collectSeries(
  registry: MetricRegistry,
  globalLabels: Record<string, string>,
  stats: string[],
  ts = Date.now(),
): PromSeries[] {
  const out: PromSeries[] = [];
  for (const metric of registry.metrics.values()) {
    if (!metric.series) continue;
    for (const entry of metric.series.values()) {
      const labels: Record<string, string> = { ...globalLabels };
      for (const [k, v] of Object.entries(entry.tags))
        if (k !== 'url' && v !== '') labels[k.replace(/[^a-zA-Z0-9_]/g, '_')] = v;
      out.push(...seriesOf(metric.name, metric.contains, entry.sink, labels, stats, ts));
    }
  }
  return out;
}

/** Sends one WriteRequest (snappy-compressed protobuf). */
export async function pushSeries(url: string, series: PromSeries[]): Promise<void> {
  if (series.length === 0) return;
  const body = compress(encodeWriteRequest(series));
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'preflight-native',
    },
    body,
  });
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new Error(`remote write to ${redactUrl(url)} answered ${response.status}: ${text.slice(0, 200)}`);
  }
}

/** Pushes every interval and once more at stop. */
export function startRemoteWrite(
  config: RemoteWriteConfig,
  getRegistry: () => MetricRegistry,
  labels: Record<string, string>,
) {
  const stats = config.trendStats ?? defaultRemoteTrendStats;
  config.guard?.(new URL(config.url));
  let failures = 0;
  let pending: Promise<void> = Promise.resolve();
  const push = () => {
    pending = pending
      .then(() => pushSeries(config.url, collectSeries(getRegistry(), labels, stats)))
      .catch((error: Error) => {
        failures++;
        if (failures <= 3) process.stderr.write(`remote write failed: ${error.message}\n`);
      });
    return pending;
  };
  const timer = setInterval(push, config.intervalMs ?? 5000);
  timer.unref();
  return {
    get failures() {
      return failures;
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await push();
    },
  };
}
