/**
 * `load verdict`: evaluates a scenario's thresholds over every runner's samples in Prometheus (k6-operator
 * does not aggregate thresholds across runners). Per series (runner x tag set) the k6 remote-write values are
 * combined: counters are summed (exact), avg is count-weighted (exact when `_count` is pushed), min/max are
 * exact, rates are weighted by request counts for http_* metrics (exact) and equally otherwise (approximate),
 * percentiles are a count-weighted estimate between the smallest and largest series value; a verdict that
 * holds for the whole range is exact, otherwise it is marked approximate.
 */
import { PreflightError } from '../../../src/core/errors.js';
import { redactUrl } from '../../../src/core/redact.js';
import { builtinMetrics, parseSelector } from '../metrics/registry.js';
import { compare, type Threshold } from '../metrics/thresholds.js';
import type { MetricDefinition } from '../native/native.js';
import { getStatSuffix } from '../outputs/remote-write.js';

export interface VerdictResult {
  metric: string;
  source: string;
  ok: boolean;
  observed: number | undefined;
  /** Smallest and largest per-series value (percentiles). */
  bounds?: [number, number];
  approximate: boolean;
  series: number;
}

interface PromSample {
  labels: Record<string, string>;
  value: number;
}

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

async function query(prometheus: string, promql: string): Promise<PromSample[]> {
  const url = new URL('/api/v1/query', prometheus);
  url.searchParams.set('query', promql);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `Prometheus at ${redactUrl(prometheus)} is unreachable: ${(error as Error).message}`,
      {
        hint: 'check --prometheus',
      },
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    status?: string;
    error?: string;
    data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (!response.ok || body.status !== 'success') {
    throw new PreflightError(
      'E_TOOL_FAILED',
      `Prometheus query failed (${response.status}): ${body.error ?? 'unknown error'}`,
      { details: { promql } },
    );
  }
  return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

function seriesKey(labels: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

type MetricKind = MetricDefinition['type'];

const builtinDefinitions = new Map<string, MetricDefinition>([
  ...builtinMetrics.map(([name, type, contains]): [string, MetricDefinition] => [name, { type, contains }]),
  ['group_duration', { type: 'trend', contains: 'time' }],
]);

export interface VerdictOptions {
  prometheus: string;
  testid: string;
  thresholds: Threshold[];
  /** Look-back window for the run's samples (default 6h). */
  window?: string;
  /**
   * The script's metrics (readScriptDefinitions): which trends hold times. Prometheus has them in seconds,
   * k6 thresholds in milliseconds. Without it only k6's built-ins are known; other metrics are probed.
   */
  metrics?: Map<string, MetricDefinition>;
}

/** Fails with `no data for testid X` when no series of the run is in Prometheus (a mistyped --testid, no push). */
async function assertRunHasData(prometheus: string, testid: string, window: string): Promise<void> {
  const found = await query(prometheus, `count(last_over_time({testid=${quote(testid)}}[${window}]))`);
  if ((found[0]?.value ?? 0) > 0) return;
  throw new PreflightError('E_CHECK_FAILED', `no data for testid ${testid}`, {
    hint: `check --testid (the testid tag of the run) and that its runners pushed to this Prometheus within the last ${window}`,
  });
}

/** Kind and unit of a metric: from the script's definitions or k6's built-ins, else probed in Prometheus. */
async function resolveMetric(
  options: VerdictOptions,
  name: string,
  matchers: string,
  window: string,
): Promise<{ kind: MetricKind; isTime: boolean }> {
  const known = options.metrics?.get(name) ?? builtinDefinitions.get(name);
  if (known) return { kind: known.type, isTime: known.contains === 'time' };
  const probe = await query(
    options.prometheus,
    `count by (__name__) (last_over_time({__name__=~${quote(`k6_${name}(_total|_rate|_p\\d+|_avg|_med|_min|_max|_count)?`)},${matchers}}[${window}]))`,
  );
  const names = probe.map((p) => p.labels.__name__ ?? '');
  const kind: MetricKind = names.includes(`k6_${name}_total`)
    ? 'counter'
    : names.includes(`k6_${name}_rate`)
      ? 'rate'
      : names.includes(`k6_${name}`)
        ? 'gauge'
        : 'trend';
  // a metric the script does not define: its unit is unknown, values are compared as stored
  return { kind, isTime: false };
}

export async function evaluateFromPrometheus(options: VerdictOptions): Promise<VerdictResult[]> {
  const window = options.window ?? '6h';
  await assertRunHasData(options.prometheus, options.testid, window);
  const results: VerdictResult[] = [];
  for (const threshold of options.thresholds) {
    const { name, filter } = parseSelector(threshold.metric);
    const matchers = [
      `testid=${quote(options.testid)}`,
      ...filter.map(([k, v]) => `${k.replace(/[^a-zA-Z0-9_]/g, '_')}=${quote(v)}`),
    ].join(',');
    const last = (metricName: string) =>
      query(options.prometheus, `last_over_time(${metricName}{${matchers}}[${window}])`);
    const { kind, isTime } = await resolveMetric(options, name, matchers, window);
    // k6's remote write stores time trends in seconds; k6 thresholds on them are in milliseconds
    const scale = kind === 'trend' && isTime ? 1000 : 1;
    let observed: number | undefined;
    let bounds: [number, number] | undefined;
    let approximate = false;
    let seriesCount = 0;
    if (kind === 'counter') {
      const samples = await last(`k6_${name}_total`);
      seriesCount = samples.length;
      if (samples.length) observed = samples.reduce((s, x) => s + x.value, 0);
    } else if (kind === 'gauge') {
      const samples = await last(`k6_${name}`);
      seriesCount = samples.length;
      if (samples.length) observed = samples.reduce((s, x) => s + x.value, 0);
    } else if (kind === 'rate') {
      const samples = await last(`k6_${name}_rate`);
      seriesCount = samples.length;
      const weights = name.startsWith('http_req')
        ? new Map((await last('k6_http_reqs_total')).map((w) => [seriesKey(w.labels), w.value]))
        : undefined;
      approximate = !weights;
      let total = 0;
      let weighted = 0;
      for (const s of samples) {
        const w = weights?.get(seriesKey(s.labels)) ?? (weights ? 0 : 1);
        total += w;
        weighted += w * s.value;
      }
      if (samples.length && total > 0) observed = weighted / total;
    } else {
      const stat = threshold.aggregation;
      const counts = new Map((await last(`k6_${name}_count`)).map((c) => [seriesKey(c.labels), c.value]));
      if (stat === 'count') {
        observed = [...counts.values()].reduce((s, v) => s + v, 0);
        seriesCount = counts.size;
      } else {
        const samples = await last(`k6_${name}_${getStatSuffix(stat)}`);
        seriesCount = samples.length;
        if (samples.length) {
          const values = samples.map((s) => ({
            value: s.value * scale,
            weight: counts.get(seriesKey(s.labels)) ?? 1,
          }));
          const min = Math.min(...values.map((v) => v.value));
          const max = Math.max(...values.map((v) => v.value));
          if (stat === 'min') observed = min;
          else if (stat === 'max') observed = max;
          else {
            const totalWeight = values.reduce((s, v) => s + v.weight, 0);
            observed = values.reduce((s, v) => s + v.value * v.weight, 0) / totalWeight;
            if (stat === 'avg') approximate = counts.size === 0;
            else {
              bounds = [min, max];
              const low = compare(min, threshold.operator, threshold.value);
              const high = compare(max, threshold.operator, threshold.value);
              approximate = low !== high;
            }
          }
        }
      }
    }
    results.push({
      metric: threshold.metric,
      source: threshold.source,
      ok: observed === undefined ? true : compare(observed, threshold.operator, threshold.value),
      observed,
      ...(bounds ? { bounds } : {}),
      approximate,
      series: seriesCount,
    });
  }
  return results;
}
