/**
 * Samples the target while load runs: its Prometheus metrics (DB pool, requests in progress) and, with a database
 * URL, pg_stat_activity (connections by state and wait event against max_connections). Failures are recorded in the
 * samples, never thrown: a sampler must not break the run it watches. The metrics requests go through the target's
 * host guard with its rate-limit bypass header: the sampler must not spend the budget under test.
 */
import pg from 'pg';
import { maxOf, parseSamples, sumOf } from '../../src/core/exposition.js';
import { ApiClient } from '../../src/core/http.js';
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

/** Starts sampling now and every `intervalMs` (default 2000) until stop(). */
export function startSampler(options: SamplerOptions): Sampler {
  const samples: ResourceSample[] = [];
  const interval = options.intervalMs ?? 2000;
  let client: pg.Client | undefined;
  let maxConnections = 0;
  let connecting: Promise<void> | undefined;
  if (options.databaseUrl) {
    const c = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: 'preflight-sampler',
      connectionTimeoutMillis: 3000,
      statement_timeout: 2000,
    });
    c.on('error', () => undefined);
    connecting = c
      .connect()
      .then(async () => {
        await c.query('SET default_transaction_read_only = on');
        const { rows } = await c.query<{ max: string }>(`SELECT current_setting('max_connections') AS max`);
        maxConnections = Number(rows[0]?.max ?? 0);
        client = c;
      })
      .catch((error) => {
        samples.push({
          atMs: Date.now(),
          pool: undefined,
          inProgress: undefined,
          database: undefined,
          errors: [`database: ${redact((error as Error).message)}`],
        });
        void c.end().catch(() => undefined);
      });
  }
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
    if (client) {
      work.push(
        readActivity(client, maxConnections).then(
          (d) => {
            sample.database = d;
          },
          (error) => void sample.errors.push(`pg_stat_activity: ${redact((error as Error).message)}`),
        ),
      );
    }
    await Promise.all(work);
    samples.push(sample);
  };
  const tick = () => {
    if (busy) return;
    busy = takeSample().finally(() => {
      busy = undefined;
    });
  };
  const start = (connecting ?? Promise.resolve()).then(tick);
  const timer = setInterval(tick, interval);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await start;
      await busy;
      await client?.end().catch(() => undefined);
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
