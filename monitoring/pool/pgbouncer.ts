/** The PgBouncer source: SHOW POOLS, SHOW STATS and SHOW DATABASES over the admin console (simple query protocol). */
import type { PoolMetrics } from './metrics.js';
import { setCounter } from './metrics.js';
import { keepClient } from './pg-client.js';
import type { PoolSource } from './source.js';

type Row = Record<string, string | number | null>;

const adminDatabase = 'pgbouncer';
const toNumber = (value: Row[string] | undefined) => Number(value ?? 0) || 0;

export function createPgbouncerSource(adminUrl: string, metrics: PoolMetrics): PoolSource {
  // the admin console accepts no extra startup parameters beyond the usual ones, and no extended protocol
  const client = keepClient(adminUrl, { query_timeout: 10_000 });
  const m = metrics.pooler;
  const poolGauges = [m.clActive, m.clWaiting, m.svActive, m.svIdle, m.svUsed, m.maxwait, m.size, m.usage];
  return {
    name: 'pgbouncer',
    describe: 'PgBouncer admin console (SHOW POOLS, SHOW STATS)',
    async poll() {
      const pools = await client.query<Row>('SHOW POOLS');
      const stats = await client.query<Row>('SHOW STATS');
      const databases = await client.query<Row>('SHOW DATABASES');
      const poolSize = new Map(databases.map((d) => [String(d.name), toNumber(d.pool_size)]));
      for (const gauge of poolGauges) gauge.reset();
      for (const pool of pools) {
        if (pool.database === adminDatabase) continue;
        const labels = { database: String(pool.database), user: String(pool.user) };
        const svActive = toNumber(pool.sv_active);
        m.clActive.set(labels, toNumber(pool.cl_active));
        m.clWaiting.set(labels, toNumber(pool.cl_waiting));
        m.svActive.set(labels, svActive);
        m.svIdle.set(labels, toNumber(pool.sv_idle));
        m.svUsed.set(labels, toNumber(pool.sv_used));
        m.maxwait.set(labels, toNumber(pool.maxwait) + toNumber(pool.maxwait_us) / 1e6);
        const size = poolSize.get(labels.database);
        if (size !== undefined) {
          m.size.set(labels, size);
          if (size > 0) m.usage.set(labels, svActive / size);
        }
      }
      m.avgWait.reset();
      for (const stat of stats) {
        if (stat.database === adminDatabase) continue;
        const labels = { database: String(stat.database) };
        m.avgWait.set(labels, toNumber(stat.avg_wait_time) / 1e6);
        setCounter(m.queries, labels, toNumber(stat.total_query_count));
        setCounter(m.transactions, labels, toNumber(stat.total_xact_count));
      }
    },
    async reset() {
      for (const gauge of poolGauges) gauge.reset();
      m.avgWait.reset();
      m.queries.reset();
      m.transactions.reset();
      await client.drop();
    },
  };
}
