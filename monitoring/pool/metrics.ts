/** The metrics of `preflight monitor pool`, in one prom-client registry per exporter (never the global one). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the exporter polls: PostgreSQL, the PgBouncer admin console, a Supabase metrics endpoint, the acquire probe. */
export type PoolSourceName = 'postgres' | 'pgbouncer' | 'supabase' | 'probe';

/** Buckets of the acquire histogram, in seconds: 1 ms to 10 s (the 0.1 bucket is the alert's p95 limit). */
export const acquireBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const poolLabels = ['database', 'user'];

export function createPoolMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers });
  return {
    registry,
    sourceUp: gauge('preflight_pool_source_up', '1 when the last poll of the source succeeded', ['source']),
    pg: {
      connections: gauge(
        'preflight_pg_connections',
        'Client backends by state, application_name and wait_event_type (pg_stat_activity)',
        ['state', 'application_name', 'wait_event_type'],
      ),
      maxConnections: gauge('preflight_pg_max_connections', 'max_connections'),
      reservedConnections: gauge(
        'preflight_pg_superuser_reserved_connections',
        'superuser_reserved_connections',
      ),
      utilisation: gauge(
        'preflight_pg_connections_utilisation_ratio',
        'Client backends / (max_connections - superuser_reserved_connections)',
      ),
      oldestXactAge: gauge(
        'preflight_pg_oldest_xact_age_seconds',
        'Age of the oldest open transaction (0 when none)',
      ),
      oldestIdleInXactAge: gauge(
        'preflight_pg_oldest_idle_in_transaction_age_seconds',
        'Time the oldest idle-in-transaction backend has been idle (0 when none)',
      ),
      lockWaits: gauge('preflight_pg_lock_waits', 'Lock requests not granted (pg_locks)'),
      rollbacks: counter(
        'preflight_pg_xact_rollback_total',
        'Rolled back transactions (pg_stat_database.xact_rollback)',
        ['datname'],
      ),
      deadlocks: counter('preflight_pg_deadlocks_total', 'Deadlocks (pg_stat_database.deadlocks)', [
        'datname',
      ]),
    },
    pooler: {
      clActive: gauge('preflight_pool_cl_active', 'Clients linked to a server connection', poolLabels),
      clWaiting: gauge('preflight_pool_cl_waiting', 'Clients waiting for a server connection', poolLabels),
      svActive: gauge('preflight_pool_sv_active', 'Server connections linked to a client', poolLabels),
      svIdle: gauge('preflight_pool_sv_idle', 'Idle server connections, usable at once', poolLabels),
      svUsed: gauge(
        'preflight_pool_sv_used',
        'Server connections idle longer than server_check_delay',
        poolLabels,
      ),
      maxwait: gauge(
        'preflight_pool_maxwait_seconds',
        'How long the oldest waiting client has waited',
        poolLabels,
      ),
      size: gauge('preflight_pool_size', 'Server connections allowed per pool (pool_size)', poolLabels),
      usage: gauge('preflight_pool_usage_ratio', 'sv_active / pool_size', poolLabels),
      avgWait: gauge(
        'preflight_pool_avg_wait_seconds',
        'Average time clients waited for a server in the last stats period',
        ['database'],
      ),
      queries: counter('preflight_pool_queries_total', 'Queries pooled', ['database']),
      transactions: counter('preflight_pool_transactions_total', 'Transactions pooled', ['database']),
    },
    acquireSeconds: new Histogram({
      name: 'preflight_pool_acquire_seconds',
      help: 'Connect through the pooler, SELECT 1, close: the wait a client of the platform feels',
      buckets: acquireBuckets,
      registers,
    }),
    acquireFailures: counter(
      'preflight_pool_acquire_failures_total',
      'Acquire probes that failed, by cause',
      ['cause'],
    ),
  };
}

export type PoolMetrics = ReturnType<typeof createPoolMetrics>;

/** Sets a counter to an absolute value read from the source (the source keeps the running total). */
export function setCounter(counter: Counter, labels: Record<string, string>, value: number): void {
  counter.remove(labels);
  if (Number.isFinite(value) && value > 0) counter.inc(labels, value);
  else counter.inc(labels, 0);
}

/**
 * Shows or hides unlabelled gauges: prom-client always exposes one (as 0 after a reset), and a 0 for
 * `max_connections` while PostgreSQL is down would be a lie, so a down source's scalars leave the registry.
 */
export function setScalarsPresent(registry: Registry, gauges: Gauge[], present: boolean): void {
  for (const gauge of gauges) {
    const name = (gauge as unknown as { name: string }).name;
    const registered = registry.getSingleMetric(name) !== undefined;
    if (present && !registered) registry.registerMetric(gauge);
    if (!present && registered) registry.removeSingleMetric(name);
  }
}

/** Every series family of the exporter as name, type, labels and help: what the metric catalog lists as source `pool`. */
export function listPoolMetricFamilies(): Array<{
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: string[];
  help: string;
}> {
  return createPoolMetrics()
    .registry.getMetricsAsArray()
    .map((metric) => {
      const { name, help, labelNames } = metric as unknown as {
        name: string;
        help: string;
        labelNames: string[];
      };
      const type =
        metric instanceof Histogram ? 'histogram' : metric instanceof Counter ? 'counter' : 'gauge';
      return { name, type, labels: [...labelNames], help };
    });
}
