/**
 * SLO recording rules and multi-window, multi-burn-rate alerts (Google SRE workbook, chapter 5):
 * page when 1h and 5m burn faster than 14.4x or 6h and 30m faster than 6x; ticket when 1d and 2h
 * burn faster than 3x or 3d and 6h faster than 1x.
 */
import { getEnvironmentMatcher, type MonitoringProfile } from './profile.js';
import { selectMetric } from './promql.js';

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export const sloWindows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SloWindow = (typeof sloWindows)[number];

export type SloKind = 'availability' | 'latency';

export interface BurnRateWindowPair {
  long: SloWindow;
  short: SloWindow;
  factor: number;
}

export const burnRatePolicies = {
  page: {
    severity: 'critical',
    pairs: [
      { long: '1h', short: '5m', factor: 14.4 },
      { long: '6h', short: '30m', factor: 6 },
    ],
    for: '2m',
  },
  ticket: {
    severity: 'warning',
    pairs: [
      { long: '1d', short: '2h', factor: 3 },
      { long: '3d', short: '6h', factor: 1 },
    ],
    for: '15m',
  },
} as const satisfies Record<string, { severity: string; pairs: BurnRateWindowPair[]; for: string }>;

export function getRecordName(kind: SloKind, window: SloWindow): string {
  return `slo:${kind}_errors:ratio_rate${window}`;
}

/** The allowed share of bad events: 1 - availability, or the 5% of requests a p95 objective lets be slower. */
export function getErrorBudget(profile: MonitoringProfile, kind: SloKind): number {
  return kind === 'availability' ? roundRatio(1 - profile.slo.availability) : 0.05;
}

/** The default buckets of the Prometheus client libraries (Python prometheus_client, Go, prom-client). */
export const standardLatencyBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * The latency SLO threshold as the histogram's `le` label value: slo.latencyBucketSeconds, else the
 * largest standard bucket <= p95Ms (a classic histogram can only count requests under a bucket boundary).
 */
export function getLatencyBucket(profile: MonitoringProfile): string {
  if (profile.slo.latencyBucketSeconds !== undefined) return String(profile.slo.latencyBucketSeconds);
  const limit = profile.slo.p95Ms / 1000;
  const bucket = [...standardLatencyBuckets].reverse().find((b) => b <= limit) ?? standardLatencyBuckets[0]!;
  return String(bucket);
}

export function roundRatio(value: number): number {
  return Number(value.toPrecision(6));
}

/** The recording rules of both SLOs for every window. */
export function buildSloRecordingRules(profile: MonitoringProfile): RecordingRule[] {
  const env = getEnvironmentMatcher(profile);
  const requests = profile.platform.metrics.httpRequests;
  const histogram = profile.platform.metrics.httpDuration;
  const rules: RecordingRule[] = [];
  for (const window of sloWindows) {
    rules.push({
      record: getRecordName('availability', window),
      expr:
        `sum by (environment) (rate(${selectMetric(requests, env, 'status_code=~"5.."')}[${window}]))` +
        ` / sum by (environment) (rate(${selectMetric(requests, env)}[${window}]))`,
      labels: { slo: 'availability' },
    });
  }
  for (const window of sloWindows) {
    rules.push({
      record: getRecordName('latency', window),
      expr:
        `1 - (sum by (environment) (rate(${selectMetric(`${histogram}_bucket`, env, `le="${getLatencyBucket(profile)}"`)}[${window}]))` +
        ` / sum by (environment) (rate(${selectMetric(`${histogram}_count`, env)}[${window}])))`,
      labels: { slo: 'latency' },
    });
  }
  return rules;
}

/** `(long > k*budget and short > k*budget) or (...)` for one policy, over the recording rules. */
export function buildBurnRateExpr(
  profile: MonitoringProfile,
  kind: SloKind,
  pairs: readonly BurnRateWindowPair[],
): string {
  const budget = getErrorBudget(profile, kind);
  return pairs
    .map(({ long, short, factor }) => {
      const limit = roundRatio(factor * budget);
      return `(${getRecordName(kind, long)} > ${limit} and ${getRecordName(kind, short)} > ${limit})`;
    })
    .join(' or ');
}

/** Replaces recording-rule names by their expressions (Grafana-managed alerts do not depend on recording rules). */
export function inlineRecordingRules(expr: string, rules: RecordingRule[]): string {
  let out = expr;
  for (const rule of rules) {
    const pattern = new RegExp(
      `(?<![\\w:])${rule.record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w:])`,
      'g',
    );
    out = out.replace(pattern, `(${rule.expr})`);
  }
  return out;
}
