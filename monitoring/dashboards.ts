/**
 * The dashboards, built with the Grafana Foundation SDK's typed builders: API overview (RED per
 * endpoint), database and pool, backups and restore verification, load tests by testid, search quality, connection pool.
 */
import {
  type Dashboard,
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type { MonitoringProfile } from './profile.js';

export interface DashboardDefinition {
  /** Short name: the file and Terraform resource name. */
  key: string;
  title: string;
  dashboard: Dashboard;
}

export interface DashboardOptions {
  /** uid of the Prometheus data source the panels query. */
  datasourceUid: string;
  /** Prefix of every dashboard uid (one set per environment). */
  uidPrefix: string;
}

interface Query {
  expr: string;
  legend: string;
}

type PanelKind = 'timeseries' | 'stat';

interface PanelSpec {
  kind: PanelKind;
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  width?: number;
}

const env = 'environment="$environment"';
const endpoint = 'endpoint=~"$endpoint"';
const testid = 'testid=~"$testid"';
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

/** A literal path as a regex inside a PromQL string (regex metacharacters escaped, then the backslashes). */
function toPromqlRegex(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\');
}

function buildDashboard(
  key: string,
  title: string,
  description: string,
  rows: Array<{ title: string; panels: PanelSpec[] }>,
  variables: Array<'environment' | 'endpoint' | 'testid' | 'target'>,
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const datasource = { type: 'prometheus', uid: options.datasourceUid };
  const builder = new DashboardBuilder(title)
    .uid(`${options.uidPrefix}-${key}`.slice(0, 40))
    .description(description)
    .tags(['preflight', 'generated', profile.environment])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .readonly();
  const queryVariable = (name: string, label: string, query: string, includeAll: boolean) => {
    const variable = new QueryVariableBuilder(name)
      .label(label)
      .datasource(datasource)
      .query(query)
      .definition(query)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .includeAll(includeAll)
      .multi(includeAll);
    return includeAll
      ? variable.allValue('.*').current({ text: 'All', value: '$__all' })
      : variable.current({ text: profile.environment, value: profile.environment });
  };
  for (const variable of variables) {
    if (variable === 'environment')
      builder.withVariable(
        queryVariable('environment', 'Environment', 'label_values(up, environment)', false),
      );
    if (variable === 'endpoint') {
      builder.withVariable(
        queryVariable(
          'endpoint',
          'Endpoint',
          `label_values(${profile.platform.metrics.httpRequests}{${env}}, endpoint)`,
          true,
        ),
      );
    }
    if (variable === 'testid')
      builder.withVariable(
        queryVariable('testid', 'Test id', 'label_values(k6_http_reqs_total, testid)', true),
      );
    if (variable === 'target') {
      builder.withVariable(
        queryVariable(
          'target',
          'Backup target',
          `label_values(preflight_backup_last_success_timestamp_seconds{${env}}, target)`,
          true,
        ),
      );
    }
  }
  let id = 1;
  for (const row of rows) {
    builder.withRow(new RowBuilder(row.title).id(id++));
    for (const spec of row.panels) {
      const panel = spec.kind === 'stat' ? new StatPanelBuilder() : new TimeseriesPanelBuilder();
      panel
        .id(id++)
        .title(spec.title)
        .description(spec.description)
        .datasource(datasource)
        .unit(spec.unit)
        .span(spec.width ?? 12)
        .height(8);
      spec.queries.forEach((query, index) => {
        panel.withTarget(
          new DataqueryBuilder()
            .refId(String.fromCharCode(65 + index))
            .datasource(datasource)
            .expr(query.expr)
            .legendFormat(query.legend),
        );
      });
      builder.withPanel(panel);
    }
  }
  return { key, title, dashboard: builder.build() };
}

function latencyQueries(bucket: string, by: string, legendPrefix: string): Query[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}) (${rate(bucket)}))`,
    legend: `${legendPrefix}p${Math.round(q * 100)}`,
  }));
}

export function buildApiOverviewDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const m = profile.platform.metrics;
  const requests = `${m.httpRequests}{${env},${endpoint}}`;
  return buildDashboard(
    'api',
    'API overview',
    'RED per endpoint from the platform metrics: request rate, 5xx ratio, latency percentiles.',
    [
      {
        title: 'Rate and errors',
        panels: [
          {
            kind: 'timeseries',
            title: 'Requests per second by endpoint',
            description: 'Rate of all requests.',
            unit: 'reqps',
            queries: [{ expr: `sum by (endpoint) (${rate(requests)})`, legend: '{{endpoint}}' }],
          },
          {
            kind: 'timeseries',
            title: '5xx ratio by endpoint',
            description: `Share of requests answered with 5xx; the SLO allows ${profile.slo.errorRate}.`,
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (endpoint) (${rate(`${m.httpRequests}{${env},${endpoint},status_code=~"5.."}`)}) / sum by (endpoint) (${rate(requests)})`,
                legend: '{{endpoint}}',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Responses by status code',
            description: 'Rate of responses per status code (429 = rate limited).',
            unit: 'reqps',
            queries: [{ expr: `sum by (status_code) (${rate(requests)})`, legend: '{{status_code}}' }],
          },
          {
            kind: 'timeseries',
            title: 'Requests in progress',
            description: 'Concurrent requests being served.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (endpoint) (${m.httpInProgress}{${env},${endpoint}})`,
                legend: '{{endpoint}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Duration',
        panels: [
          {
            kind: 'timeseries',
            title: 'Latency p50 / p95 / p99 (all endpoints)',
            description: `The p95 objective is ${profile.slo.p95Ms} ms, p99 ${profile.slo.p99Ms} ms.`,
            unit: 's',
            queries: latencyQueries(`${m.httpDuration}_bucket{${env},${endpoint}}`, 'le', ''),
          },
          {
            kind: 'timeseries',
            title: 'p95 latency by endpoint',
            description: '95th percentile of request duration per endpoint.',
            unit: 's',
            queries: [
              {
                expr: `histogram_quantile(0.95, sum by (endpoint, le) (${rate(`${m.httpDuration}_bucket{${env},${endpoint}}`)}))`,
                legend: '{{endpoint}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Protection',
        panels: [
          {
            kind: 'timeseries',
            title: 'Rate-limit decisions',
            description: 'Decisions per bucket and action (shadow decisions do not block).',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (bucket, action, shadow) (${rate(`${m.rateLimitDecisions}{${env}}`)})`,
                legend: '{{bucket}} {{action}} shadow={{shadow}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Login attempts by result',
            description: 'Failed logins climbing is credential stuffing or a broken client.',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (result) (${rate(`${m.loginAttempts}{${env}}`)})`,
                legend: '{{result}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Booking lock operations',
            description: 'Advisory-lock operations around booking creation, by outcome.',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (action, outcome) (${rate(`${m.bookingLockOperations}{${env}}`)})`,
                legend: '{{action}} {{outcome}}',
              },
            ],
            width: 8,
          },
        ],
      },
    ],
    ['environment', 'endpoint'],
    profile,
    options,
  );
}

export function buildDatabaseDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const m = profile.platform.metrics;
  const pool = (name: string) => `${name}{${env}}`;
  return buildDashboard(
    'database',
    'Database and connection pool',
    'The API connection pool (SQLAlchemy) and PostgreSQL connections against max_connections.',
    [
      {
        title: 'API pool',
        panels: [
          {
            kind: 'timeseries',
            title: 'Pool usage',
            description: 'Alert at 90% for 2 minutes.',
            unit: 'percent',
            queries: [{ expr: `max by (pool_name) (${pool(m.poolUsagePercent)})`, legend: '{{pool_name}}' }],
          },
          {
            kind: 'timeseries',
            title: 'Pool connections',
            description: 'Checked out, idle and overflow connections against the configured size.',
            unit: 'short',
            queries: [
              { expr: `sum by (pool_name) (${pool(m.poolCheckedOut)})`, legend: '{{pool_name}} checked out' },
              { expr: `sum by (pool_name) (${pool(m.poolCheckedIn)})`, legend: '{{pool_name}} idle' },
              { expr: `sum by (pool_name) (${pool(m.poolOverflow)})`, legend: '{{pool_name}} overflow' },
              { expr: `max by (pool_name) (${pool(m.poolSize)})`, legend: '{{pool_name}} size' },
            ],
          },
        ],
      },
      {
        title: 'PostgreSQL',
        panels: [
          {
            kind: 'timeseries',
            title: 'Connections against max_connections',
            description: 'All backends (every database) and the server limit.',
            unit: 'short',
            queries: [
              { expr: `sum(pg_stat_database_numbackends{${env}})`, legend: 'backends' },
              { expr: `max(pg_settings_max_connections{${env}})`, legend: 'max_connections' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Backends by database',
            description: 'Connections per database.',
            unit: 'short',
            queries: [
              { expr: `sum by (datname) (pg_stat_database_numbackends{${env}})`, legend: '{{datname}}' },
            ],
          },
        ],
      },
    ],
    ['environment'],
    profile,
    options,
  );
}

export function buildBackupsDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const backup = (name: string) => `preflight_backup_${name}{${env},target=~"$target"}`;
  return buildDashboard(
    'backups',
    'Backups and restore verification',
    'Backup freshness, size and duration, and the restore verification that proves them (pushed by preflight backup).',
    [
      {
        title: 'Freshness',
        panels: [
          {
            kind: 'stat',
            title: 'Age of the last backup',
            description: 'Alert above 26 hours.',
            unit: 's',
            queries: [
              {
                expr: `time() - max by (target) (${backup('last_success_timestamp_seconds')})`,
                legend: '{{target}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'stat',
            title: 'Age of the last passed restore verification',
            description: 'Alert above 8 days.',
            unit: 's',
            queries: [
              {
                expr: `time() - max by (target) (${backup('verify_last_success_timestamp_seconds')})`,
                legend: '{{target}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'stat',
            title: 'Failed runs (7 days)',
            description: 'Backup and verify runs that failed.',
            unit: 'short',
            queries: [
              { expr: `sum by (target) (increase(${backup('failures_total')}[7d]))`, legend: '{{target}}' },
            ],
            width: 8,
          },
        ],
      },
      {
        title: 'Cost and recovery time',
        panels: [
          {
            kind: 'timeseries',
            title: 'Backup size',
            description: 'Stored size of the last backup.',
            unit: 'bytes',
            queries: [{ expr: `max by (target) (${backup('size_bytes')})`, legend: '{{target}}' }],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Backup duration',
            description: 'Duration of the last backup run.',
            unit: 's',
            queries: [{ expr: `max by (target) (${backup('duration_seconds')})`, legend: '{{target}}' }],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Restore duration (RTO)',
            description: 'Time the last verification took to restore.',
            unit: 's',
            queries: [
              { expr: `max by (target) (${backup('restore_duration_seconds')})`, legend: '{{target}}' },
            ],
            width: 8,
          },
        ],
      },
      buildPitrRow(),
    ],
    ['environment', 'target'],
    profile,
    options,
  );
}

/** WAL archiving (`preflight wal push|archiver`) and the point-in-time recovery drill (`preflight backup drill`). */
function buildPitrRow(): { title: string; panels: PanelSpec[] } {
  const select = (name: string) => `${name}{${env},target=~"$target"}`;
  return {
    title: 'Point-in-time recovery',
    panels: [
      {
        kind: 'stat',
        title: 'Age of the last archived WAL segment',
        description:
          'The recovery point objective: writes after this are not yet in the archive. Alert after 15 minutes while segments wait.',
        unit: 's',
        queries: [
          {
            expr: `time() - max by (target) (${select('preflight_wal_last_archived_timestamp_seconds')})`,
            legend: '{{target}}',
          },
        ],
        width: 6,
      },
      {
        kind: 'timeseries',
        title: 'WAL archive lag',
        description: 'Segments ready but not archived yet; alert when it keeps growing above 4.',
        unit: 'short',
        queries: [
          {
            expr: `max by (target) (${select('preflight_wal_archive_lag_segments')})`,
            legend: '{{target}}',
          },
        ],
        width: 6,
      },
      {
        kind: 'timeseries',
        title: 'WAL archive failures (15 minutes)',
        description: 'Failed pushes and uploads; PostgreSQL retries them. Alert above 5.',
        unit: 'short',
        queries: [
          {
            expr: `sum by (target) (increase(${select('preflight_wal_archive_failures_total')}[15m]))`,
            legend: '{{target}}',
          },
        ],
        width: 6,
      },
      {
        kind: 'stat',
        title: 'Age of the last passed PITR drill',
        description: 'A restore to a point in time on a throwaway cluster; alert above 8 days.',
        unit: 's',
        queries: [
          {
            expr: `time() - max by (target) (${select('preflight_pitr_drill_last_success_timestamp_seconds')})`,
            legend: '{{target}}',
          },
        ],
        width: 6,
      },
    ],
  };
}

export function buildLoadTestsDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const k6 = (name: string) => `${name}{${testid}}`;
  return buildDashboard(
    'loadtests',
    'Load tests',
    'k6 (experimental-prometheus-rw, K6_PROMETHEUS_RW_TREND_STATS=p(95),p(99)) and the native engine, by testid.',
    [
      {
        title: 'Load',
        panels: [
          {
            kind: 'timeseries',
            title: 'Requests per second by testid',
            description: 'Request rate the load generator achieved.',
            unit: 'reqps',
            queries: [{ expr: `sum by (testid) (${rate(k6('k6_http_reqs_total'))})`, legend: '{{testid}}' }],
          },
          {
            kind: 'timeseries',
            title: 'Virtual users',
            description: 'Active VUs.',
            unit: 'short',
            queries: [{ expr: `sum by (testid) (${k6('k6_vus')})`, legend: '{{testid}}' }],
          },
        ],
      },
      {
        title: 'Results',
        panels: [
          {
            kind: 'timeseries',
            title: 'Request duration p95 / p99',
            description: 'As measured by the load generator (includes the network).',
            unit: 's',
            queries: [
              { expr: `max by (testid) (${k6('k6_http_req_duration_p95')})`, legend: '{{testid}} p95' },
              { expr: `max by (testid) (${k6('k6_http_req_duration_p99')})`, legend: '{{testid}} p99' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Failed requests and checks',
            description: 'Share of failed requests and of passed checks.',
            unit: 'percentunit',
            queries: [
              { expr: `avg by (testid) (${k6('k6_http_req_failed_rate')})`, legend: '{{testid}} failed' },
              { expr: `avg by (testid) (${k6('k6_checks_rate')})`, legend: '{{testid}} checks passed' },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Iterations per second',
            description: 'Completed scenario iterations.',
            unit: 'ops',
            queries: [{ expr: `sum by (testid) (${rate(k6('k6_iterations_total'))})`, legend: '{{testid}}' }],
          },
        ],
      },
    ],
    ['testid'],
    profile,
    options,
  );
}

export function buildSearchDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const m = profile.platform.metrics;
  const searches = `${m.searchLatencyMs}_count{${env}}`;
  const searchEndpoint = `endpoint=~".*${toPromqlRegex(profile.platform.routes.search.path)}"`;
  return buildDashboard(
    'search',
    'Search quality',
    'Natural-language search: zero-result rate and latency.',
    [
      {
        title: 'Quality',
        panels: [
          {
            kind: 'timeseries',
            title: 'Zero-result rate',
            description: 'Share of searches that returned nothing.',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum(${rate(`${m.searchZeroResults}{${env}}`)}) / sum(${rate(searches)})`,
                legend: 'zero results',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Searches per second',
            description: 'Natural-language searches served.',
            unit: 'ops',
            queries: [{ expr: `sum(${rate(searches)})`, legend: 'searches' }],
          },
        ],
      },
      {
        title: 'Latency',
        panels: [
          {
            kind: 'timeseries',
            title: 'Search latency p50 / p95 / p99',
            description: 'Time to answer a search, measured by the platform.',
            unit: 'ms',
            queries: latencyQueries(`${m.searchLatencyMs}_bucket{${env}}`, 'le', ''),
          },
          {
            kind: 'timeseries',
            title: 'Search endpoint errors',
            description: '5xx responses of the search route.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (status_code) (${rate(`${m.httpRequests}{${env},${searchEndpoint},status_code=~"5.."}`)})`,
                legend: '{{status_code}}',
              },
            ],
          },
        ],
      },
    ],
    ['environment'],
    profile,
    options,
  );
}

/** The series of `preflight monitor pool` (monitoring/pool/): the pooler, the acquire probe, PostgreSQL connections. */
export function buildPoolDashboard(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition {
  const sel = (name: string) => `${name}{${env}}`;
  return buildDashboard(
    'pool',
    'Connection pool',
    'PgBouncer/Supabase pooler pools, the acquire wait a client feels (probe), and PostgreSQL connections (preflight monitor pool).',
    [
      {
        title: 'Pooler',
        panels: [
          {
            kind: 'timeseries',
            title: 'Pool usage (sv_active / pool_size)',
            description: 'Alert above 90% for 2 minutes.',
            unit: 'percentunit',
            queries: [
              {
                expr: `max by (database, user) (${sel('preflight_pool_usage_ratio')})`,
                legend: '{{database}} {{user}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Clients active and waiting',
            description: 'cl_waiting above 0 for a minute alerts: every server connection is busy.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (database) (${sel('preflight_pool_cl_active')})`,
                legend: '{{database}} active',
              },
              {
                expr: `sum by (database) (${sel('preflight_pool_cl_waiting')})`,
                legend: '{{database}} waiting',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Server connections',
            description: 'Linked to a client, idle, and the pool size.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (database) (${sel('preflight_pool_sv_active')})`,
                legend: '{{database}} active',
              },
              { expr: `sum by (database) (${sel('preflight_pool_sv_idle')})`, legend: '{{database}} idle' },
              { expr: `max by (database) (${sel('preflight_pool_size')})`, legend: '{{database}} pool_size' },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Pooler wait',
            description: 'Longest current wait (maxwait) and the average wait of the last stats period.',
            unit: 's',
            queries: [
              {
                expr: `max by (database) (${sel('preflight_pool_maxwait_seconds')})`,
                legend: '{{database}} max',
              },
              {
                expr: `max by (database) (${sel('preflight_pool_avg_wait_seconds')})`,
                legend: '{{database}} avg',
              },
            ],
          },
          {
            kind: 'timeseries',
            title: 'Queries and transactions per second',
            description: 'Pooled through the pooler.',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (database) (${rate(sel('preflight_pool_queries_total'))})`,
                legend: '{{database}} queries',
              },
              {
                expr: `sum by (database) (${rate(sel('preflight_pool_transactions_total'))})`,
                legend: '{{database}} transactions',
              },
            ],
          },
        ],
      },
      {
        title: 'Connection wait time (acquire probe)',
        panels: [
          {
            kind: 'timeseries',
            title: 'Acquire p50 / p95 / p99',
            description:
              'Connect through the pooler, SELECT 1, close. Alert when p95 > 100 ms for 5 minutes.',
            unit: 's',
            queries: latencyQueries(sel('preflight_pool_acquire_seconds_bucket'), 'le', ''),
          },
          {
            kind: 'timeseries',
            title: 'Acquire failures by cause',
            description:
              'refused, timeout, auth, too_many_connections, server_shutdown, server_error, network.',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (cause) (${rate(sel('preflight_pool_acquire_failures_total'))})`,
                legend: '{{cause}}',
              },
            ],
          },
        ],
      },
      {
        title: 'PostgreSQL connections',
        panels: [
          {
            kind: 'timeseries',
            title: 'Utilisation of max_connections',
            description:
              'Client backends / (max_connections - superuser_reserved_connections). Alert above 80% for 5 minutes.',
            unit: 'percentunit',
            queries: [
              { expr: `max(${sel('preflight_pg_connections_utilisation_ratio')})`, legend: 'utilisation' },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Connections by state',
            description: 'pg_stat_activity client backends.',
            unit: 'short',
            queries: [{ expr: `sum by (state) (${sel('preflight_pg_connections')})`, legend: '{{state}}' }],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Connections by application',
            description: 'application_name of each client backend.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (application_name) (${sel('preflight_pg_connections')})`,
                legend: '{{application_name}}',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Waiting backends by wait event type',
            description: 'Lock waits show up as Lock; none means running on CPU or idle.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (wait_event_type) (${sel('preflight_pg_connections')})`,
                legend: '{{wait_event_type}}',
              },
              { expr: `max(${sel('preflight_pg_lock_waits')})`, legend: 'ungranted locks' },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Oldest transaction',
            description: 'Age of the oldest open transaction and of the oldest idle-in-transaction session.',
            unit: 's',
            queries: [
              { expr: `max(${sel('preflight_pg_oldest_xact_age_seconds')})`, legend: 'oldest transaction' },
              {
                expr: `max(${sel('preflight_pg_oldest_idle_in_transaction_age_seconds')})`,
                legend: 'oldest idle in transaction',
              },
            ],
            width: 8,
          },
          {
            kind: 'timeseries',
            title: 'Rollbacks and deadlocks',
            description: 'pg_stat_database per second.',
            unit: 'ops',
            queries: [
              {
                expr: `sum by (datname) (${rate(sel('preflight_pg_xact_rollback_total'))})`,
                legend: '{{datname}} rollbacks',
              },
              {
                expr: `sum by (datname) (${rate(sel('preflight_pg_deadlocks_total'))})`,
                legend: '{{datname}} deadlocks',
              },
            ],
            width: 8,
          },
        ],
      },
      {
        title: 'Exporter',
        panels: [
          {
            kind: 'stat',
            title: 'Sources up',
            description: '1 when monitor pool read the source at its last poll (alert after 2 minutes down).',
            unit: 'short',
            queries: [{ expr: `min by (source) (${sel('preflight_pool_source_up')})`, legend: '{{source}}' }],
          },
          {
            kind: 'stat',
            title: 'max_connections',
            description: 'The server limit and the slots reserved for superusers.',
            unit: 'short',
            queries: [
              { expr: `max(${sel('preflight_pg_max_connections')})`, legend: 'max_connections' },
              {
                expr: `max(${sel('preflight_pg_superuser_reserved_connections')})`,
                legend: 'superuser_reserved_connections',
              },
            ],
          },
        ],
      },
    ],
    ['environment'],
    profile,
    options,
  );
}

/** Every dashboard for a profile. */
export function buildDashboards(
  profile: MonitoringProfile,
  options: DashboardOptions,
): DashboardDefinition[] {
  return [
    buildApiOverviewDashboard(profile, options),
    buildDatabaseDashboard(profile, options),
    buildBackupsDashboard(profile, options),
    buildLoadTestsDashboard(profile, options),
    buildSearchDashboard(profile, options),
    buildPoolDashboard(profile, options),
  ];
}
