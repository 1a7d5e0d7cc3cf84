/**
 * Every metric the dashboards and alerts may use, with where it comes from. The inventory checks
 * queries against what these sources really export; anything outside this catalog is an error.
 */
import type { PlatformProfile } from '../src/core/platform/defaults.js';
import { listPoolMetricFamilies } from './pool/metrics.js';

/** Where a metric is exported: each source is scraped (or remote-written) separately. */
export type MetricSource =
  /** The platform's own metrics endpoint (`routes.metrics` of the platform profile). */
  | 'platform'
  /** Supabase's privileged metrics endpoint (postgres_exporter style). */
  | 'supabase'
  /** A Prometheus Pushgateway fed by `preflight backup run|verify`. */
  | 'pushgateway'
  /** k6's experimental-prometheus-rw output (only during load runs; never scraped). */
  | 'k6'
  /** Made by the scraper itself (`up`). */
  | 'scraper'
  /** The pool exporter, `preflight monitor pool` (monitoring/pool/). */
  | 'pool';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  name: string;
  type: MetricType;
  source: MetricSource;
  labels: string[];
  help: string;
  /** The command that pushes it when a target uses that feature (PITR): its absence is noted, not an error. */
  pushedOnlyBy?: string;
}

/** Labels the scraper (Alloy or the local Prometheus) attaches to every series; targets never export them. */
export const scrapeLabels = ['job', 'instance', 'environment'] as const;

/** The platform's metric names, from the target's platform profile (`platform.metrics`). */
export type PlatformMetricNames = PlatformProfile['metrics'];

const platform = (name: string, type: MetricType, labels: string[], help: string): MetricSpec => ({
  name,
  type,
  source: 'platform',
  labels,
  help,
});

const httpLabels = ['method', 'endpoint', 'status_code'];

/** The metrics the platform exports, named by the profile. */
function getPlatformMetrics(m: PlatformMetricNames): MetricSpec[] {
  return [
    platform(m.httpDuration, 'histogram', httpLabels, 'Request latency'),
    platform(m.httpRequests, 'counter', httpLabels, 'Requests'),
    platform(m.httpInProgress, 'gauge', ['method', 'endpoint'], 'Requests in flight'),
    platform(m.poolSize, 'gauge', ['pool_name'], 'Configured pool size'),
    platform(m.poolCheckedOut, 'gauge', ['pool_name'], 'Connections in use'),
    platform(m.poolCheckedIn, 'gauge', ['pool_name'], 'Idle connections'),
    platform(m.poolOverflow, 'gauge', ['pool_name'], 'Overflow connections'),
    platform(m.poolUsagePercent, 'gauge', ['pool_name'], 'Pool usage in percent'),
    platform(m.rateLimitDecisions, 'counter', ['bucket', 'action', 'shadow'], 'Rate-limit decisions'),
    platform(m.loginAttempts, 'counter', ['result'], 'Login attempts'),
    platform(m.searchLatencyMs, 'histogram', [], 'Natural-language search latency (ms)'),
    platform(m.searchZeroResults, 'counter', [], 'Searches with zero results'),
    platform(m.bookingLockOperations, 'counter', ['action', 'outcome'], 'Booking lock operations'),
  ];
}

/** Metrics of the other sources: Supabase, the backup Pushgateway, k6 remote-write and the scraper. */
const otherMetrics: MetricSpec[] = [
  {
    name: 'pg_stat_database_numbackends',
    type: 'gauge',
    source: 'supabase',
    labels: ['datname'],
    help: 'Backends per database',
  },
  {
    name: 'pg_settings_max_connections',
    type: 'gauge',
    source: 'supabase',
    labels: [],
    help: 'max_connections',
  },
  ...(
    [
      ['preflight_backup_last_success_timestamp_seconds', 'gauge', 'Time of the last complete backup'],
      ['preflight_backup_duration_seconds', 'gauge', 'Duration of the last backup'],
      ['preflight_backup_size_bytes', 'gauge', 'Size of the last backup'],
      ['preflight_backup_failures_total', 'counter', 'Failed backup or verify runs'],
      [
        'preflight_backup_verify_last_success_timestamp_seconds',
        'gauge',
        'Time of the last passed restore verification',
      ],
      ['preflight_backup_restore_duration_seconds', 'gauge', 'Restore time of the last verification'],
    ] as const
  ).map(
    ([name, type, help]): MetricSpec => ({ name, type, source: 'pushgateway', labels: ['target'], help }),
  ),
  ...(
    [
      [
        'preflight_wal_last_archived_timestamp_seconds',
        'gauge',
        'Time the last WAL segment was archived',
        'preflight wal push|archiver',
      ],
      [
        'preflight_wal_archive_failures_total',
        'counter',
        'Failed WAL pushes and archiver uploads',
        'preflight wal push|archiver',
      ],
      [
        'preflight_wal_archive_lag_segments',
        'gauge',
        'WAL segments ready but not yet archived',
        'preflight wal push|archiver',
      ],
      [
        'preflight_pitr_drill_last_success_timestamp_seconds',
        'gauge',
        'Time of the last passed point-in-time recovery drill',
        'preflight backup drill',
      ],
    ] as const
  ).map(
    ([name, type, help, pushedOnlyBy]): MetricSpec => ({
      name,
      type,
      source: 'pushgateway',
      labels: ['target'],
      help,
      pushedOnlyBy,
    }),
  ),
  ...(
    [
      ['k6_http_reqs_total', 'counter', 'HTTP requests made by the load test'],
      [
        'k6_http_req_duration_p95',
        'gauge',
        'p95 request duration in seconds (K6_PROMETHEUS_RW_TREND_STATS includes p(95))',
      ],
      ['k6_http_req_duration_p99', 'gauge', 'p99 request duration in seconds'],
      ['k6_http_req_failed_rate', 'gauge', 'Share of failed requests'],
      ['k6_checks_rate', 'gauge', 'Share of passed checks'],
      ['k6_vus', 'gauge', 'Active virtual users'],
      ['k6_iterations_total', 'counter', 'Completed iterations'],
    ] as const
  ).map(
    ([name, type, help]): MetricSpec => ({
      name,
      type,
      source: 'k6',
      labels: ['testid', 'scenario', 'method', 'status', 'name', 'expected_response'],
      help,
    }),
  ),
  { name: 'up', type: 'gauge', source: 'scraper', labels: [], help: '1 when the last scrape succeeded' },
  ...listPoolMetricFamilies().map((family): MetricSpec => ({ ...family, source: 'pool' })),
];

/** Every metric the dashboards and alerts may use, the platform's named by its profile. */
export function getMetricCatalog(platformMetrics: PlatformMetricNames): MetricSpec[] {
  return [...getPlatformMetrics(platformMetrics), ...otherMetrics];
}

/** The sample names a metric family exposes (histograms expose _bucket, _count and _sum). */
export function getSampleNames(spec: MetricSpec): string[] {
  if (spec.type === 'histogram') return [`${spec.name}_bucket`, `${spec.name}_count`, `${spec.name}_sum`];
  return [spec.name];
}

/** Finds the catalog entry for a sample name (`x_bucket` resolves to histogram `x`). */
export function findMetricSpec(catalog: MetricSpec[], sampleName: string): MetricSpec | undefined {
  return catalog.find((spec) => getSampleNames(spec).includes(sampleName));
}
