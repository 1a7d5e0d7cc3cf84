/**
 * Every alert, defined once: name, PromQL, threshold, `for`, severity, summary and runbook URL.
 * rules.ts renders them as Prometheus rule files (tested with promtool) and as Grafana-managed
 * rule groups (provisioned by the cdktn stacks).
 */
import { getEnvironmentMatcher, type MonitoringProfile } from './profile.js';
import { selectMetric } from './promql.js';
import { buildBurnRateExpr, burnRatePolicies, getLatencyBucket, roundRatio, type SloKind } from './slo.js';

export type Severity = 'critical' | 'warning';
export type AlertGroup = 'api' | 'database' | 'pool' | 'backups' | 'availability' | 'slo';

export interface AlertDefinition {
  name: string;
  group: AlertGroup;
  /** The value query; the alert fires while `expr <comparison> threshold` holds for `for`. */
  expr: string;
  comparison: '>' | '<';
  threshold: number;
  for: string;
  severity: Severity;
  summary: string;
  description: string;
  runbookUrl: string;
  /** True when `expr` returns nothing while all is well (burn-rate filters): no data is OK, not an alert. */
  emptyWhenHealthy: boolean;
}

export const alertGroupTitles: Record<AlertGroup, string> = {
  api: 'preflight-api',
  database: 'preflight-database',
  pool: 'preflight-pool',
  backups: 'preflight-backups',
  availability: 'preflight-availability',
  slo: 'preflight-slo',
};

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Builds every alert for a profile. */
export function buildAlerts(profile: MonitoringProfile): AlertDefinition[] {
  const env = getEnvironmentMatcher(profile);
  const m = (name: string, ...matchers: string[]) => selectMetric(name, env, ...matchers);
  const metrics = profile.platform.metrics;
  const requests = metrics.httpRequests;
  const runbook = (name: string) => `${profile.runbookBaseUrl}#${name.toLowerCase()}`;
  const define = (
    alert: Omit<AlertDefinition, 'runbookUrl' | 'emptyWhenHealthy'> & { emptyWhenHealthy?: boolean },
  ) => ({
    ...alert,
    runbookUrl: runbook(alert.name),
    emptyWhenHealthy: alert.emptyWhenHealthy ?? false,
    for: profile.forOverride ?? alert.for,
  });
  const alerts: AlertDefinition[] = [
    define({
      name: 'HighServerErrorRatio',
      group: 'api',
      expr: `sum by (environment) (rate(${m(requests, 'status_code=~"5.."')}[5m])) / sum by (environment) (rate(${m(requests)}[5m]))`,
      comparison: '>',
      threshold: profile.slo.errorRate,
      for: '5m',
      severity: 'critical',
      summary: `More than ${pct(profile.slo.errorRate)} of API requests fail with 5xx`,
      description:
        'The share of 5xx responses over 5 minutes is above the configured maximum error ratio (slo.errorRate).',
    }),
    define({
      name: 'LatencyP95OverSlo',
      group: 'api',
      expr: `histogram_quantile(0.95, sum by (environment, le) (rate(${m(`${metrics.httpDuration}_bucket`)}[5m])))`,
      comparison: '>',
      threshold: profile.slo.p95Ms / 1000,
      for: '10m',
      severity: 'warning',
      summary: `API p95 latency is above ${profile.slo.p95Ms} ms`,
      description: 'The 95th percentile of request duration over 5 minutes exceeds slo.p95Ms.',
    }),
    define({
      name: 'RateLimitRejectionSpike',
      group: 'api',
      expr: `sum by (environment) (rate(${m(requests, 'status_code="429"')}[5m])) / sum by (environment) (rate(${m(requests)}[5m]))`,
      comparison: '>',
      threshold: 0.1,
      for: '5m',
      severity: 'warning',
      summary: 'More than 10% of API requests are rejected with 429',
      description:
        'A spike of 429 responses: a client is hammering the API, or the limits are too tight for real traffic.',
    }),
    define({
      name: 'DbPoolSaturated',
      group: 'database',
      expr: `max by (environment, pool_name) (${m(metrics.poolUsagePercent)})`,
      comparison: '>',
      threshold: 90,
      for: '2m',
      severity: 'critical',
      summary: 'The API database pool is more than 90% used',
      description:
        'Requests will soon wait for a connection (pool_timeout) and fail; check slow queries and pool_size/max_overflow.',
    }),
    define({
      name: 'DbConnectionsNearMax',
      group: 'database',
      expr: `sum by (environment) (${m('pg_stat_database_numbackends')}) / max by (environment) (${m('pg_settings_max_connections')})`,
      comparison: '>',
      threshold: 0.8,
      for: '5m',
      severity: 'warning',
      summary: 'PostgreSQL connections are above 80% of max_connections',
      description:
        'New connections will be refused at max_connections; check the poolers and the compute size.',
    }),
    ...buildPoolAlerts(define, m),
    define({
      name: 'BackupTooOld',
      group: 'backups',
      expr: `time() - max by (environment, target) (${m('preflight_backup_last_success_timestamp_seconds')})`,
      comparison: '>',
      threshold: 26 * HOUR,
      for: '5m',
      severity: 'critical',
      summary: 'The last complete backup is older than 26 hours',
      description:
        'The daily backup did not complete; run `preflight backup list` and check the backup job logs.',
    }),
    define({
      name: 'BackupFailing',
      group: 'backups',
      expr: `sum by (environment, target) (increase(${m('preflight_backup_failures_total')}[1d]))`,
      comparison: '>',
      threshold: 0,
      for: '0s',
      severity: 'warning',
      summary: 'A backup or restore verification run failed in the last day',
      description:
        'preflight_backup_failures_total increased; the failing run printed the reason (`preflight backup run|verify`).',
    }),
    define({
      name: 'RestoreVerificationStale',
      group: 'backups',
      expr: `time() - max by (environment, target) (${m('preflight_backup_verify_last_success_timestamp_seconds')})`,
      comparison: '>',
      threshold: 8 * DAY,
      for: '5m',
      severity: 'critical',
      summary: 'No restore verification has passed for 8 days',
      description:
        'Weekly restore verification is failing or not running: a backup is only proven by a restore.',
    }),
    ...buildPitrAlerts(define, m),
    define({
      name: 'ScrapeTargetDown',
      group: 'availability',
      expr: `min by (environment, job, instance) (${m('up')})`,
      comparison: '<',
      threshold: 1,
      for: '2m',
      severity: 'critical',
      summary: 'A metrics endpoint cannot be scraped',
      description:
        'The target is down or its metrics endpoint fails; every other alert on it is blind meanwhile.',
    }),
  ];
  for (const kind of ['availability', 'latency'] as const satisfies SloKind[]) {
    for (const [policyName, policy] of Object.entries(burnRatePolicies)) {
      const name = `Slo${kind === 'availability' ? 'Availability' : 'Latency'}BurnRate${policyName === 'page' ? 'Page' : 'Ticket'}`;
      const objective =
        kind === 'availability'
          ? `${pct(profile.slo.availability)} availability`
          : `95% of requests under ${Number(getLatencyBucket(profile)) * 1000} ms`;
      alerts.push(
        define({
          name,
          group: 'slo',
          expr: buildBurnRateExpr(profile, kind, policy.pairs),
          comparison: '>',
          threshold: 0,
          for: policy.for,
          severity: policy.severity,
          summary: `The ${kind} error budget (${objective}) burns ${policyName === 'page' ? 'fast' : 'steadily'}`,
          description: `Burn rate over ${policy.pairs.map((p) => `${p.long}/${p.short} > ${p.factor}x`).join(' or ')} of the 30-day error budget.`,
          emptyWhenHealthy: true,
        }),
      );
    }
  }
  return alerts;
}

type DefineAlert = (
  alert: Omit<AlertDefinition, 'runbookUrl' | 'emptyWhenHealthy'> & { emptyWhenHealthy?: boolean },
) => AlertDefinition;

/** WAL archiving (pushed by `preflight wal push|archiver`) and the PITR drill (`preflight backup drill`). */
function buildPitrAlerts(define: DefineAlert, m: (name: string) => string): AlertDefinition[] {
  const by = 'by (environment, target)';
  const lag = m('preflight_wal_archive_lag_segments');
  return [
    define({
      name: 'WalArchiveStalled',
      group: 'backups',
      // silent while nothing waits and nothing fails (an idle database archives nothing); a failing push leaves the
      // last pushed lag in place, so recent failures count as waiting; without a lag metric the age alone decides
      expr: `(time() - max ${by} (${m('preflight_wal_last_archived_timestamp_seconds')})) unless on (environment, target) ((max ${by} (${lag}) == 0) unless on (environment, target) (sum ${by} (increase(${m('preflight_wal_archive_failures_total')}[15m])) > 0))`,
      comparison: '>',
      threshold: 15 * 60,
      for: '5m',
      severity: 'critical',
      summary: 'No WAL segment has been archived for 15 minutes while segments wait',
      description:
        'archive_command fails or the async archiver is not running: point-in-time recovery ends at the last archived segment and pg_wal grows; check `preflight wal list` and the PostgreSQL log.',
      emptyWhenHealthy: true,
    }),
    define({
      name: 'WalArchiveLagGrowing',
      group: 'backups',
      expr: `max ${by} (deriv(${lag}[15m])) and on (environment, target) (max ${by} (${lag}) >= 4)`,
      comparison: '>',
      threshold: 0,
      for: '15m',
      severity: 'warning',
      summary: 'The WAL archive lag keeps growing (4 or more segments waiting)',
      description:
        'Archiving does not keep up with the write load: use the async mode (`preflight wal archiver`) or check the storage throughput.',
      emptyWhenHealthy: true,
    }),
    define({
      name: 'WalArchiveFailing',
      group: 'backups',
      expr: `sum ${by} (increase(${m('preflight_wal_archive_failures_total')}[15m]))`,
      comparison: '>',
      threshold: 5,
      for: '10m',
      severity: 'warning',
      summary: 'WAL archiving keeps failing (more than 5 failures in 15 minutes)',
      description:
        'preflight wal push or the archiver fails repeatedly; PostgreSQL keeps the segments and retries, but pg_wal grows until the cause (storage, key, config) is fixed.',
    }),
    define({
      name: 'PitrDrillStale',
      group: 'backups',
      expr: `time() - max ${by} (${m('preflight_pitr_drill_last_success_timestamp_seconds')})`,
      comparison: '>',
      threshold: 8 * DAY,
      for: '5m',
      severity: 'critical',
      summary: 'No point-in-time recovery drill has passed for 8 days',
      description:
        'The weekly `preflight backup drill` is failing or not running: point-in-time recovery is only proven by a restore to a time.',
    }),
  ];
}

/** The alerts on the series of `preflight monitor pool` (monitoring/pool/). */
function buildPoolAlerts(define: DefineAlert, m: (name: string) => string): AlertDefinition[] {
  return [
    define({
      name: 'PoolerPoolSaturated',
      group: 'pool',
      expr: `max by (environment, database, user) (${m('preflight_pool_usage_ratio')})`,
      comparison: '>',
      threshold: 0.9,
      for: '2m',
      severity: 'critical',
      summary: 'A pooler pool uses more than 90% of its server connections',
      description:
        'sv_active / pool_size of a PgBouncer pool is above 90%: new transactions will soon queue (cl_waiting).',
    }),
    define({
      name: 'PoolerClientsWaiting',
      group: 'pool',
      expr: `max by (environment, database, user) (${m('preflight_pool_cl_waiting')})`,
      comparison: '>',
      threshold: 0,
      for: '1m',
      severity: 'warning',
      summary: 'Clients wait for a server connection in the pooler',
      description: 'cl_waiting stayed above 0 for a minute: every server connection of the pool is busy.',
    }),
    define({
      name: 'PoolAcquireSlow',
      group: 'pool',
      expr: `histogram_quantile(0.95, sum by (environment, le) (rate(${m('preflight_pool_acquire_seconds_bucket')}[5m])))`,
      comparison: '>',
      threshold: 0.1,
      for: '5m',
      severity: 'warning',
      summary: 'Getting a connection through the pooler takes more than 100 ms (p95)',
      description:
        'The acquire probe (connect, SELECT 1, close through the pooler) is slow: the wait the platform feels.',
    }),
    define({
      name: 'PgConnectionsNearMax',
      group: 'pool',
      expr: `max by (environment) (${m('preflight_pg_connections_utilisation_ratio')})`,
      comparison: '>',
      threshold: 0.8,
      for: '5m',
      severity: 'warning',
      summary: 'PostgreSQL client connections are above 80% of the usable max_connections',
      description:
        'Client backends / (max_connections - superuser_reserved_connections) from pg_stat_activity is above 80%.',
    }),
    define({
      name: 'PoolExporterSourceDown',
      group: 'pool',
      expr: `min by (environment, source) (${m('preflight_pool_source_up')})`,
      comparison: '<',
      threshold: 1,
      for: '2m',
      severity: 'critical',
      summary: 'monitor pool cannot read one of its sources',
      description:
        'PostgreSQL, the pooler admin console, the Supabase endpoint or the acquire probe fails (label source).',
    }),
  ];
}

function pct(ratio: number): string {
  return `${roundRatio(ratio * 100)}%`;
}

/** The alert as one PromQL condition (`(expr) > threshold`). */
export function getAlertCondition(alert: AlertDefinition): string {
  return `(${alert.expr}) ${alert.comparison} ${alert.threshold}`;
}
