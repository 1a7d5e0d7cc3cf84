/**
 * Samples the target while load runs: its Prometheus metrics (DB pool, requests in progress) and, with a database
 * URL, pg_stat_activity (connections by state and wait event against max_connections). Failures are recorded in the
 * samples, never thrown: a sampler must not break the run it watches. The metrics requests go through the target's
 * host guard with its rate-limit bypass header: the sampler must not spend the budget under test.
 */
import pg from 'pg';
import { maxOf, parseSamples, sumOf } from '../../src/core/exposition.js';
import { ApiClient } from '../../src/core/http.js';
import { isRetryablePgError, withPgRetry } from '../../src/core/pg/retry.js';
import { redact } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';

export interface PoolReading {
  usagePercent: number;
  checkedOut: number | undefined;
  size: number | undefined;
  /** Requests waiting for a connection (the pool overflow metric in the twin). */
  waiting: number | undefined;
}

export interface DatabaseReading {
  total: number;
  byState: Record<string, number>;
  byWaitEvent: Record<string, number>;
  maxConnections: number;
}

export interface ResourceSample {
  /** Epoch ms. */
  atMs: number;
  pool: PoolReading | undefined;
  inProgress: number | undefined;
  database: DatabaseReading | undefined;
  errors: string[];
}

export interface SamplerOptions {
  /** The target the metrics URL belongs to: its host guard, bypass header and metric names apply. */
  target: ResolvedTarget;
  metricsUrl?: string;
  metricsAuth?: { username: string; password: string };
  databaseUrl?: string;
  intervalMs?: number;
}

export interface Sampler {
  stop(): Promise<ResourceSample[]>;
}

const METRICS_TIMEOUT_MS = 3000;

async function fetchExposition(url: string, options: SamplerOptions): Promise<string> {
  const headers: Record<string, string> = { accept: 'text/plain' };
  const auth = options.metricsAuth;
  if (auth)
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const client = new ApiClient(options.target, { timeoutMs: METRICS_TIMEOUT_MS });
  const response = await client.request('GET', url, { headers });
  if (response.status !== 200) throw new Error(`metrics endpoint answered ${response.status}`);
  return response.text;
}

async function readMetrics(url: string, options: SamplerOptions) {
  const names = options.target.platform.metrics;
  const samples = parseSamples(await fetchExposition(url, options));
  const usage = maxOf(samples, names.poolUsagePercent);
  return {
    pool:
      usage === undefined
        ? undefined
        : {
            usagePercent: usage,
            checkedOut: sumOf(samples, names.poolCheckedOut),
            size: sumOf(samples, names.poolSize),
            waiting: sumOf(samples, names.poolOverflow),
          },
    inProgress: sumOf(samples, names.httpInProgress),
  };
}

const activitySql = `SELECT coalesce(state, 'unknown') AS state, coalesce(wait_event_type || ':' || wait_event, 'none') AS wait,
  count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
  GROUP BY 1, 2`;

async function readActivity(client: pg.Client, maxConnections: number): Promise<DatabaseReading> {
  const { rows } = await client.query<{ state: string; wait: string; n: number }>(activitySql);
  const reading: DatabaseReading = { total: 0, byState: {}, byWaitEvent: {}, maxConnections };
  for (const row of rows) {
    reading.total += row.n;
    reading.byState[row.state] = (reading.byState[row.state] ?? 0) + row.n;
    if (row.wait !== 'none') reading.byWaitEvent[row.wait] = (reading.byWaitEvent[row.wait] ?? 0) + row.n;
  }
  return reading;
}

interface SamplerConnection {
  client: pg.Client;
  maxConnections: number;
}

/** A read-only connection through the core retry policy, kept short: a sample must not wait long for it. */
function connectSampler(databaseUrl: string): Promise<SamplerConnection> {
  return withPgRetry(
    async () => {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'preflight-sampler',
        connectionTimeoutMillis: 3000,
        statement_timeout: 2000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SET default_transaction_read_only = on');
        const { rows } = await client.query<{ max: string }>(
          `SELECT current_setting('max_connections') AS max`,
        );
        return { client, maxConnections: Number(rows[0]?.max ?? 0) };
      } catch (error) {
        void client.end().catch(() => undefined);
        throw error;
      }
    },
    { operation: 'Connecting the sampler', maxElapsedMs: 3000 },
  );
}

/** Starts sampling now and every `intervalMs` (default 2000) until stop(). A dropped connection is reopened. */
export function startSampler(options: SamplerOptions): Sampler {
  const samples: ResourceSample[] = [];
  const interval = options.intervalMs ?? 2000;
  let db: SamplerConnection | undefined;
  const readDatabase = async (sample: ResourceSample) => {
    if (!options.databaseUrl) return;
    try {
      db ??= await connectSampler(options.databaseUrl);
    } catch (error) {
      sample.errors.push(`database: ${redact((error as Error).message)}`);
      return;
    }
    const current = db;
    try {
      sample.database = await readActivity(current.client, current.maxConnections);
    } catch (error) {
      sample.errors.push(`pg_stat_activity: ${redact((error as Error).message)}`);
      if (isRetryablePgError(error)) {
        db = undefined;
        void current.client.end().catch(() => undefined);
      }
    }
  };
  let busy: Promise<void> | undefined;
  const takeSample = async () => {
    const sample: ResourceSample = {
      atMs: Date.now(),
      pool: undefined,
      inProgress: undefined,
      database: undefined,
      errors: [],
    };
    const work: Array<Promise<void>> = [];
    if (options.metricsUrl) {
      work.push(
        readMetrics(options.metricsUrl, options).then(
          (m) => {
            sample.pool = m.pool;
            sample.inProgress = m.inProgress;
          },
          (error) => void sample.errors.push(`metrics: ${redact((error as Error).message)}`),
        ),
      );
    }
    work.push(readDatabase(sample));
    await Promise.all(work);
    samples.push(sample);
  };
  const tick = () => {
    if (busy) return;
    busy = takeSample().finally(() => {
      busy = undefined;
    });
  };
  const start = Promise.resolve().then(tick);
  const timer = setInterval(tick, interval);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await start;
      await busy;
      await db?.client.end().catch(() => undefined);
      return samples.sort((a, b) => a.atMs - b.atMs);
    },
  };
}

/**
 * Samples a target: its metrics route (from the platform profile, through its host guard, with its bypass header)
 * and its database (the sandbox's admin URL sees every session's state; a configured target's read-only URL).
 */
export function startTargetSampler(
  target: ResolvedTarget,
  options: { intervalMs?: number; metricsAuth?: SamplerOptions['metricsAuth'] } = {},
): Sampler {
  return startSampler({
    target,
    metricsUrl: `${target.apiBase}${target.metricsPath}`,
    metricsAuth: options.metricsAuth ?? target.sandbox?.metricsAuth,
    databaseUrl: target.sandbox ? target.database.adminUrl : target.database.readonlyUrl,
    intervalMs: options.intervalMs,
  });
}
