/** The PostgreSQL source: pg_stat_activity, settings, pg_locks and pg_stat_database. */
import type { PoolMetrics } from './metrics.js';
import { setCounter, setScalarsPresent } from './metrics.js';
import { keepClient } from './pg-client.js';
import type { PoolSource } from './source.js';

const activityQuery = `
select coalesce(state, 'unknown') as state, coalesce(nullif(application_name, ''), 'unnamed') as application_name,
       coalesce(wait_event_type, 'none') as wait_event_type, count(*)::int as n
from pg_stat_activity
where backend_type = 'client backend' and pid <> pg_backend_pid()
group by 1, 2, 3`;

const summaryQuery = `
select current_setting('max_connections')::int as max_connections,
       current_setting('superuser_reserved_connections')::int as reserved,
       (select count(*)::int from pg_stat_activity where backend_type = 'client backend') as clients,
       (select coalesce(extract(epoch from max(now() - xact_start)), 0)::float8 from pg_stat_activity
         where backend_type = 'client backend' and xact_start is not null and pid <> pg_backend_pid()) as oldest_xact,
       (select coalesce(extract(epoch from max(now() - state_change)), 0)::float8 from pg_stat_activity
         where state like 'idle in transaction%') as oldest_idle_in_xact,
       (select count(*)::int from pg_locks where not granted) as lock_waits`;

const databaseQuery = `
select datname, xact_rollback::float8 as xact_rollback, deadlocks::float8 as deadlocks
from pg_stat_database where datname is not null`;

interface Summary {
  max_connections: number;
  reserved: number;
  clients: number;
  oldest_xact: number;
  oldest_idle_in_xact: number;
  lock_waits: number;
}

export function createPostgresSource(url: string, metrics: PoolMetrics): PoolSource {
  const client = keepClient(url, {
    application_name: 'preflight-monitor-pool',
    query_timeout: 15_000,
  });
  const m = metrics.pg;
  const scalars = [
    m.maxConnections,
    m.reservedConnections,
    m.utilisation,
    m.oldestXactAge,
    m.oldestIdleInXactAge,
    m.lockWaits,
  ];
  const clear = () => {
    for (const metric of Object.values(m)) metric.reset();
    setScalarsPresent(metrics.registry, scalars, false);
  };
  return {
    name: 'postgres',
    describe: 'PostgreSQL (pg_stat_activity)',
    async poll() {
      const activity = await client.query<{
        state: string;
        application_name: string;
        wait_event_type: string;
        n: number;
      }>(activityQuery);
      const [summary] = await client.query<Summary>(summaryQuery);
      const databases = await client.query<{ datname: string; xact_rollback: number; deadlocks: number }>(
        databaseQuery,
      );
      m.connections.reset();
      for (const row of activity)
        m.connections.set(
          { state: row.state, application_name: row.application_name, wait_event_type: row.wait_event_type },
          row.n,
        );
      if (summary) {
        setScalarsPresent(metrics.registry, scalars, true);
        m.maxConnections.set(summary.max_connections);
        m.reservedConnections.set(summary.reserved);
        const usable = summary.max_connections - summary.reserved;
        m.utilisation.set(usable > 0 ? summary.clients / usable : 1);
        m.oldestXactAge.set(summary.oldest_xact);
        m.oldestIdleInXactAge.set(summary.oldest_idle_in_xact);
        m.lockWaits.set(summary.lock_waits);
      }
      for (const row of databases) {
        setCounter(m.rollbacks, { datname: row.datname }, row.xact_rollback);
        setCounter(m.deadlocks, { datname: row.datname }, row.deadlocks);
      }
    },
    async reset() {
      clear();
      await client.drop();
    },
  };
}
