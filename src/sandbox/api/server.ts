/** Starts the API twin on loopback: pool, context, app, listen. */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Weaknesses } from '../weaknesses.js';
import { buildApp } from './app.js';
import { type CatalogIndex, loadCatalogIndex } from './catalog-index.js';
import { type ApiContext, defaultRateLimits, type RateLimits } from './context.js';
import { installDbRetry, installStaleConnections } from './db-retry.js';
import { createMetrics } from './metrics.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { WEAK_JWT_SECRET } from './tokens.js';

export interface ApiServerOptions {
  appUrl: string;
  weak: Weaknesses;
  port: number;
  poolSize: number;
  poolTimeoutMs: number;
  allowedOrigins: string[];
  bypass: { header: string; token: string };
  metricsAuth: { username: string; password: string };
  rateLimits?: Partial<RateLimits>;
  jwtSecret: Uint8Array;
  /** A bcrypt hash of a password nobody knows (same cost as real ones), compared against for unknown users. */
  dummyHash: string;
  version: string;
  gitSha: string;
  /** Holds each pooled query's connection this long first (a slower database, for bottleneck tests). */
  queryDelayMs?: number;
}

export interface ApiServer {
  app: FastifyInstance;
  ctx: ApiContext;
  url: string;
  /** Forgets rate-limit windows, lockouts and the cached catalog (after a reset). */
  clearState(): void;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const pool = new pg.Pool({
    connectionString: options.appUrl,
    max: options.poolSize,
    connectionTimeoutMillis: options.poolTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    application_name: 'instainstru-api',
  });
  // idle clients die when the database is reset or stopped; the pool replaces them
  pool.on('error', () => undefined);
  if (options.queryDelayMs) slowDown(pool, options.queryDelayMs);
  if (options.weak.has('no-db-retry')) installStaleConnections(pool);
  else installDbRetry(pool);
  let catalog: Promise<CatalogIndex> | undefined;
  const ctx: ApiContext = {
    pool,
    weak: options.weak,
    allowedOrigins: options.allowedOrigins,
    bypass: options.bypass,
    metricsAuth: options.metricsAuth,
    rateLimits: { ...defaultRateLimits, ...options.rateLimits },
    metrics: createMetrics(pool, options.poolSize),
    limiters: {
      global: new SlidingWindowLimiter(),
      loginIp: new SlidingWindowLimiter(),
      loginEmail: new SlidingWindowLimiter(),
      loginEmailHour: new SlidingWindowLimiter(),
      bookings: new SlidingWindowLimiter(),
      checkAvailability: new SlidingWindowLimiter(),
    },
    lockouts: new Map(),
    jwt: {
      secret: options.weak.has('jwt-weak-secret')
        ? new TextEncoder().encode(WEAK_JWT_SECRET)
        : options.jwtSecret,
      issuer: 'instainstru-sandbox',
      audience: 'instainstru',
      lifetimeSeconds: 60 * 60,
    },
    dummyHash: options.dummyHash,
    getCatalog() {
      catalog ??= loadCatalogIndex(pool).catch((error) => {
        catalog = undefined;
        throw error;
      });
      return catalog;
    },
    info: {
      service: 'instainstru-api',
      version: options.version,
      environment: 'sandbox',
      gitSha: options.gitSha,
    },
  };
  const app = await buildApp(ctx);
  try {
    await app.listen({ host: '127.0.0.1', port: options.port });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return {
    app,
    ctx,
    url: `http://127.0.0.1:${options.port}`,
    clearState() {
      for (const limiter of Object.values(ctx.limiters)) limiter.clear();
      ctx.lockouts.clear();
      catalog = undefined;
    },
    async close() {
      try {
        await app.close();
      } finally {
        await pool.end();
      }
    },
  };
}

/** Every pool.query first sleeps on its connection in the database, so connections stay checked out longer. */
function slowDown(pool: pg.Pool, delayMs: number): void {
  const seconds = (delayMs / 1000).toFixed(3);
  pool.query = (async (...args: Parameters<pg.Pool['query']>) => {
    const client = await pool.connect();
    let failure: Error | undefined;
    try {
      await client.query(`SELECT pg_sleep(${seconds})`);
      return await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      // a failed connection leaves the pool instead of being handed out again
      client.release(failure);
    }
  }) as unknown as pg.Pool['query'];
}
