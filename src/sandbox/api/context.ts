/** Everything the API's routes share: the pool, switches, limits, keys, metrics and the cached catalog. */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Weaknesses } from '../weaknesses.js';
import type { CatalogIndex } from './catalog-index.js';
import type { SandboxMetrics } from './metrics.js';
import type { SlidingWindowLimiter } from './rate-limit.js';

export interface RateLimits {
  globalPerIpPerMinute: number;
  loginPerIpPerMinute: number;
  loginPerEmailPerMinute: number;
  bookingsPerUserPerMinute: number;
  /** The length of the "per minute" windows (60; load tests shorten it so conformance runs take seconds). */
  windowSeconds: number;
}

export const defaultRateLimits: RateLimits = {
  globalPerIpPerMinute: 150,
  loginPerIpPerMinute: 20,
  loginPerEmailPerMinute: 5,
  bookingsPerUserPerMinute: 20,
  windowSeconds: 60,
};

export interface ApiContext {
  pool: pg.Pool;
  weak: Weaknesses;
  /** Frontend origins allowed by CORS and CSRF. */
  allowedOrigins: string[];
  bypass: { header: string; token: string };
  metricsAuth: { username: string; password: string };
  rateLimits: RateLimits;
  metrics: SandboxMetrics;
  limiters: Record<
    'global' | 'loginIp' | 'loginEmail' | 'loginEmailHour' | 'bookings' | 'checkAvailability',
    SlidingWindowLimiter
  >;
  /** Failed logins per email and the lockout they earned. */
  lockouts: Map<string, { failures: number; lockedUntil: number }>;
  jwt: { secret: Uint8Array; issuer: string; audience: string; lifetimeSeconds: number };
  /** A bcrypt hash of nothing, compared against for unknown users so timing does not tell. */
  dummyHash: string;
  getCatalog(): Promise<CatalogIndex>;
  info: { service: string; version: string; environment: string; gitSha: string };
}

/** A database error that remembers the SQL it came from (shown only with `verbose-errors`). */
export interface SqlError extends Error {
  sql?: string;
  code?: string;
}

export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  sql: string,
  params: unknown[] = [],
  options: { prepare?: boolean } = {},
): Promise<pg.QueryResult<R>> {
  try {
    // hot statements are prepared once per connection (named by a hash of their text)
    if (options.prepare)
      return await db.query<R>({
        name: `q${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`,
        text: sql,
        values: params,
      });
    return await db.query<R>(sql, params);
  } catch (error) {
    if (error instanceof Error) (error as SqlError).sql = sql;
    throw error;
  }
}

/** True for a database that is down, restarting or being reset (SQLSTATE 08*, 57P0*, 3D000, refused or cut connections). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = String((error as SqlError).code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  return (
    /^(57P0[1-3]|3D000|08\d{3}|ECONNREFUSED|ECONNRESET)$/.test(code) ||
    /ECONNREFUSED|Connection terminated/i.test(message)
  );
}
