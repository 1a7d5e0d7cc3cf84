/**
 * Pool sizing advice: the database's connection limit (max_connections minus the reserved slots) and, with a
 * PgBouncer admin console, the pooler's (SHOW CONFIG), turned into the largest pool_size + max_overflow per API
 * worker that leaves 20% headroom for backups, migrations, monitoring and admin sessions.
 */
import pg from 'pg';
import { withPgRetry } from '../../core/pg/retry.js';
import { redact } from '../../core/redact.js';
import type { DoctorCheck } from './checks.js';

export const POOL_HEADROOM = 0.2;
const WORKER_COUNTS = [1, 2, 4, 8];

export interface DatabaseLimits {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections (PostgreSQL 16+). */
  reserved: number;
}

export interface PoolerLimits {
  poolMode: string;
  defaultPoolSize: number;
  maxClientConn: number;
  /** 0 = no limit. */
  maxDbConnections: number;
}

export interface PoolAdvice {
  /** The connections the API's pools may use in all, and what bounds it. */
  limit: number;
  limitedBy: string;
  /** The limit minus the headroom. */
  budget: number;
  /** Largest pool_size + max_overflow per worker, for 1, 2, 4 and 8 workers. */
  perWorker: Array<{ workers: number; maxPoolPerWorker: number }>;
  /** How many workers the spec's pool (pool_size 8 + max_overflow 8) fits. */
  specPoolWorkers: number;
}

async function withClient<T>(url: string, timeoutMs: number, work: (client: pg.Client) => Promise<T>) {
  return withPgRetry(
    async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return await work(client);
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { maxElapsedMs: timeoutMs, operation: 'Reading connection limits' },
  );
}

export function readDatabaseLimits(url: string, timeoutMs = 5_000): Promise<DatabaseLimits> {
  return withClient(url, timeoutMs, async (client) => {
    const { rows } = await client.query<{ max: number; superuser: number; reserved: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS superuser,
              coalesce(current_setting('reserved_connections', true), '0')::int AS reserved`,
    );
    const row = rows[0];
    return { maxConnections: row?.max ?? 0, reserved: (row?.superuser ?? 0) + (row?.reserved ?? 0) };
  });
}

/** PgBouncer's admin console: SHOW CONFIG (key, value, ...). */
export function readPoolerLimits(adminUrl: string, timeoutMs = 5_000): Promise<PoolerLimits> {
  return withClient(adminUrl, timeoutMs, async (client) => {
    const { rows } = await client.query<{ key: string; value: string }>('SHOW CONFIG');
    const get = (key: string) => rows.find((r) => r.key === key)?.value ?? '';
    return {
      poolMode: get('pool_mode') || 'session',
      defaultPoolSize: Number(get('default_pool_size')) || 0,
      maxClientConn: Number(get('max_client_conn')) || 0,
      maxDbConnections: Number(get('max_db_connections')) || 0,
    };
  });
}

/** Pure: the limit the API's pools share and the largest pool per worker under it. */
export function advisePoolSizes(db: DatabaseLimits, pooler: PoolerLimits | undefined): PoolAdvice {
  const usable = Math.max(0, db.maxConnections - db.reserved);
  const candidates: Array<[number, string]> = [[usable, 'max_connections - reserved']];
  if (pooler) {
    // through a pooler the API's pools are its clients; in session mode each also holds a server connection
    candidates.push([pooler.maxClientConn, 'PgBouncer max_client_conn']);
    if (pooler.poolMode === 'session') {
      candidates.push([pooler.defaultPoolSize, 'PgBouncer default_pool_size (session mode)']);
      if (pooler.maxDbConnections > 0)
        candidates.push([pooler.maxDbConnections, 'PgBouncer max_db_connections']);
    } else candidates.splice(0, 1);
  }
  const [limit, limitedBy] = candidates.reduce((a, b) => (b[0] < a[0] ? b : a));
  const budget = Math.floor(limit * (1 - POOL_HEADROOM));
  return {
    limit,
    limitedBy,
    budget,
    perWorker: WORKER_COUNTS.map((workers) => ({ workers, maxPoolPerWorker: Math.floor(budget / workers) })),
    specPoolWorkers: Math.floor(budget / 16),
  };
}

export function describePoolAdvice(db: DatabaseLimits, pooler: PoolerLimits | undefined, advice: PoolAdvice) {
  const parts = [`max_connections ${db.maxConnections} - ${db.reserved} reserved`];
  if (pooler)
    parts.push(
      `PgBouncer ${pooler.poolMode} mode: max_client_conn ${pooler.maxClientConn}, default_pool_size ${pooler.defaultPoolSize}, max_db_connections ${pooler.maxDbConnections || 'unlimited'}`,
    );
  const per = advice.perWorker.map((p) => `${p.maxPoolPerWorker} for ${p.workers}`).join(', ');
  return `${parts.join('; ')} -> limit ${advice.limit} (${advice.limitedBy}), ${advice.budget} with ${POOL_HEADROOM * 100}% headroom: pool_size + max_overflow per worker <= ${per} worker(s); the spec's 8 + 8 fits ${advice.specPoolWorkers} worker(s)`;
}

/** The doctor check; undefined without a database URL. */
export async function checkPoolSizes(options: {
  targetName: string;
  databaseUrl: string | undefined;
  poolerAdminUrl?: string;
  timeoutMs?: number;
}): Promise<DoctorCheck | undefined> {
  if (!options.databaseUrl) return undefined;
  const base = {
    id: 'target-pool-sizes',
    group: 'target' as const,
    name: `connection pool sizes for ${options.targetName}`,
    required: false,
    version: null,
  };
  try {
    const db = await readDatabaseLimits(options.databaseUrl, options.timeoutMs);
    const pooler = options.poolerAdminUrl
      ? await readPoolerLimits(options.poolerAdminUrl, options.timeoutMs)
      : undefined;
    const advice = advisePoolSizes(db, pooler);
    const detail = describePoolAdvice(db, pooler, advice);
    if (advice.specPoolWorkers >= 1) return { ...base, status: 'ok', detail, hint: null };
    return {
      ...base,
      status: 'warn',
      detail,
      hint: `one API worker with pool_size 8 + max_overflow 8 needs 16 connections: lower them to ${advice.perWorker[0]?.maxPoolPerWorker} in all, or raise the limit (${advice.limitedBy})`,
    };
  } catch (error) {
    return {
      ...base,
      status: 'warn',
      detail: redact(`cannot read the connection limits: ${(error as Error).message}`),
      hint: 'check the database URL (and the PgBouncer admin URL: an admin_users or stats_users login to database pgbouncer)',
    };
  }
}
