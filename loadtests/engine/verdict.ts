/**
 * `load verdict`: evaluates a scenario's thresholds over every runner's samples in Prometheus (k6-operator
 * does not aggregate thresholds across runners). Per series (runner x tag set) the k6 remote-write values are
 * combined: counters are summed (exact), avg is count-weighted (exact when `_count` is pushed), min/max are
 * exact, rates are weighted by request counts for http_* metrics (exact) and equally otherwise (approximate),
 * percentiles are a count-weighted estimate between the smallest and largest series value; a verdict that
 * holds for the whole range is exact, otherwise it is marked approximate.
 */
import { PreflightError } from '../../src/errors.js';
import { redactUrl } from '../../src/redact.js';
import { parseSelector } from './metrics.js';
import { getStatSuffix } from './remote-write.js';
import { compare, type Threshold } from './thresholds.js';

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

type MetricKind = 'counter' | 'gauge' | 'rate' | 'trend';

const builtinKinds: Record<string, [MetricKind, boolean]> = {
  http_reqs: ['counter', false],
  iterations: ['counter', false],
  data_sent: ['counter', false],
  data_received: ['counter', false],
  dropped_iterations: ['counter', false],
  http_req_failed: ['rate', false],
  checks: ['rate', false],
  vus: ['gauge', false],
  vus_max: ['gauge', false],
};

export interface VerdictOptions {
  prometheus: string;
  testid: string;
  thresholds: Threshold[];
  /** Look-back window for the run's samples (default 6h). */
  window?: string;
}

export async function evaluateFromPrometheus(options: VerdictOptions): Promise<VerdictResult[]> {
  const window = options.window ?? '6h';
  const results: VerdictResult[] = [];
  for (const threshold of options.thresholds) {
    const { name, filter } = parseSelector(threshold.metric);
    const matchers = [
      `testid=${quote(options.testid)}`,
      ...filter.map(([k, v]) => `${k.replace(/[^a-zA-Z0-9_]/g, '_')}=${quote(v)}`),
    ].join(',');
    const last = (metricName: string) =>
      query(options.prometheus, `last_over_time(${metricName}{${matchers}}[${window}])`);
    let kind = builtinKinds[name]?.[0];
    let isTime = name.startsWith('http_req_') || name === 'iteration_duration' || name === 'group_duration';
    if (!kind) {
      const probe = await query(
        options.prometheus,
        `count by (__name__) (last_over_time({__name__=~${quote(`k6_${name}(_total|_rate|_p\\d+|_avg|_med|_min|_max|_count)?`)},${matchers}}[${window}]))`,
      );
      const names = probe.map((p) => p.labels.__name__ ?? '');
      kind = names.includes(`k6_${name}_total`)
        ? 'counter'
        : names.includes(`k6_${name}_rate`)
          ? 'rate'
          : names.includes(`k6_${name}`)
            ? 'gauge'
            : 'trend';
      if (kind === 'trend') isTime = false;
    }
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
