/**
 * A second, minimal implementation of the platform spec (/work/shared/platform.md) for integration tests:
 * node:http + pg over its own throwaway PostgreSQL cluster, sharing no code with src/sandbox.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { AppContext, Environment, PlatformSettings, RateLimits } from './context.js';
import { type Cleanup, createOwnDatabase, prepareDatabase } from './database.js';
import { createMetrics } from './metrics.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import type { Account } from './seed.js';
import { createSpecServer } from './server.js';

export { BOOKING_LOCK_SQL, getBookingLockKey } from './routes-bookings.js';
export type { Account } from './seed.js';

export interface SpecPlatformOptions {
  /** Length of every rate-limit window; default 60000 (the platform's per-minute limits). */
  rateLimitWindowMs?: number;
  /** Origin/Referer check on POST/PUT/PATCH/DELETE; always on in preview and production. */
  csrf?: boolean;
  /** Drops the advisory lock from POST /bookings (overlapping PENDING bookings become possible). */
  weakDoubleBooking?: boolean;
  /** development (default), preview or production: aud/iss checks, Secure cookies, security headers. */
  environment?: Environment;
  /** The frontend origin (CSRF, CORS); default http://localhost:3000. */
  frontendOrigin?: string;
  /** Limits per window; defaults are the platform's. */
  limits?: Partial<RateLimits>;
  /** Use this (empty) database instead of starting a cluster; it is left in place by stop(). */
  databaseUrl?: string;
}

export interface SpecPlatform {
  baseUrl: string;
  apiBase: string;
  /** Superuser URL of the platform's database. */
  databaseUrl: string;
  /** A SELECT-only role (absent when `databaseUrl` was passed in). */
  readonlyDatabaseUrl?: string;
  accounts: { students: Account[]; instructor: Account; admin: Account };
  bypassHeader: string;
  bypassToken: string;
  jwtSecret: string;
  frontendOrigin: string;
  environment: Environment;
  /** The temporary directory with the cluster (absent when `databaseUrl` was passed in); gone after stop(). */
  dir?: string;
  stop(): Promise<void>;
}

const DEFAULT_LIMITS: RateLimits = {
  globalPerIp: 150,
  loginPerIp: 20,
  loginPerEmail: 5,
  bookingsPerUser: 20,
  checkAvailabilityPerUser: 30,
};
const POOL = { size: 8, maxOverflow: 8 };

const createSecret = (bytes = 24) => randomBytes(bytes).toString('base64url');

function validateOptions(options: SpecPlatformOptions): void {
  const window = options.rateLimitWindowMs;
  if (window !== undefined && (!Number.isInteger(window) || window < 100))
    throw new Error(`Expected \`rateLimitWindowMs\` to be an integer >= 100, got \`${window}\``);
  const environments = ['development', 'preview', 'production'];
  if (options.environment !== undefined && !environments.includes(options.environment))
    throw new Error(
      `Expected \`environment\` to be one of ${environments.join(', ')}, got \`${options.environment}\``,
    );
  const origin = options.frontendOrigin;
  if (origin !== undefined && (!URL.canParse(origin) || new URL(origin).origin !== origin))
    throw new Error(
      `Expected \`frontendOrigin\` to be an origin like http://localhost:3000, got \`${origin}\``,
    );
  for (const [name, value] of Object.entries(options.limits ?? {}))
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`Expected \`limits.${name}\` to be a positive integer, got \`${value}\``);
}

async function closeServer(server: ReturnType<typeof createSpecServer>): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the spec platform on a free loopback port; stop() removes its cluster and temporary directory. */
export async function startSpecPlatform(options: SpecPlatformOptions = {}): Promise<SpecPlatform> {
  validateOptions(options);
  const cleanups: Cleanup[] = [];
  const runCleanups = async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the spec platform failed');
  };
  try {
    const database = options.databaseUrl
      ? { databaseUrl: options.databaseUrl }
      : await createOwnDatabase(cleanups, createSecret);
    const { databaseUrl, readonlyDatabaseUrl, dir } = database;
    const accounts = await prepareDatabase(database, {
      student: createSecret(),
      instructor: createSecret(),
      admin: createSecret(),
      unused: createSecret(),
    });
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: POOL.size + POOL.maxOverflow,
      connectionTimeoutMillis: 5_000,
      statement_timeout: 30_000,
    });
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());
    const frontendOrigin = options.frontendOrigin ?? 'http://localhost:3000';
    const environment = options.environment ?? 'development';
    const settings: PlatformSettings = {
      environment,
      csrf: options.csrf ?? environment !== 'development',
      weakDoubleBooking: options.weakDoubleBooking ?? false,
      frontendOrigin,
      corsOrigins: [frontendOrigin],
      bypassToken: createSecret(),
      jwtSecret: createSecret(32),
      jwtIssuer: 'instainstru-api',
      jwtAudience: 'instainstru-app',
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      version: '1.0.0',
      gitSha: 'spec-platform',
    };
    const app: AppContext = {
      settings,
      pool,
      limiter: new SlidingWindowLimiter(options.rateLimitWindowMs ?? 60_000),
      metrics: createMetrics(pool, POOL),
    };
    const server = createSpecServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    cleanups.push(() => closeServer(server));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      baseUrl,
      apiBase: `${baseUrl}/api/v1`,
      databaseUrl,
      readonlyDatabaseUrl,
      accounts,
      bypassHeader: 'X-Rate-Limit-Bypass',
      bypassToken: settings.bypassToken,
      jwtSecret: settings.jwtSecret,
      frontendOrigin,
      environment,
      dir,
      stop: runCleanups,
    };
  } catch (error) {
    await runCleanups().catch(() => undefined);
    throw error;
  }
}
