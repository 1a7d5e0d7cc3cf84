/**
 * The pool exporter: polls its sources (PostgreSQL, PgBouncer, Supabase, the acquire probe) every interval into one
 * prom-client registry and serves it on `/metrics`. A source that fails gets `preflight_pool_source_up{source} 0`,
 * its series dropped, and is polled again with backoff; the exporter keeps serving. One log line per state change.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PreflightError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { getPollDelayMs } from './backoff.js';
import type { ListenAddress } from './listen.js';
import { createPoolMetrics, type PoolMetrics, type PoolSourceName } from './metrics.js';
import { createPgbouncerSource } from './pgbouncer.js';
import { createPostgresSource } from './postgres.js';
import { createProbeSource } from './probe.js';
import type { PoolSource } from './source.js';
import { createSupabaseSource, type SupabaseEndpoint } from './supabase.js';

export interface PoolExporterOptions {
  listen: ListenAddress;
  intervalMs: number;
  /** Longest wait between polls of a source that is down (default 30 s, at least the interval). */
  maxBackoffMs?: number;
  /** A direct PostgreSQL URL (pg_stat_activity). */
  postgresUrl?: string;
  /** The PgBouncer admin console URL (database `pgbouncer`). */
  pgbouncerAdminUrl?: string;
  supabase?: SupabaseEndpoint;
  /** A pooled URL the acquire probe connects through. */
  poolerUrl?: string;
  /** A probe slower than this counts as a failure with cause `timeout` (default 10 s). */
  probeTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface SourceState {
  source: PoolSourceName;
  up: boolean | undefined;
  failures: number;
}

export interface PoolExporter {
  url: string;
  metrics: PoolMetrics;
  sources: PoolSourceName[];
  state(): SourceState[];
  stop(): Promise<void>;
}

function createSources(options: PoolExporterOptions, metrics: PoolMetrics): PoolSource[] {
  const sources: PoolSource[] = [];
  if (options.postgresUrl) sources.push(createPostgresSource(options.postgresUrl, metrics));
  if (options.pgbouncerAdminUrl) sources.push(createPgbouncerSource(options.pgbouncerAdminUrl, metrics));
  if (options.supabase) sources.push(createSupabaseSource(options.supabase, metrics));
  if (options.poolerUrl)
    sources.push(createProbeSource({ url: options.poolerUrl, timeoutMs: options.probeTimeoutMs }, metrics));
  return sources;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function listen(server: Server, address: ListenAddress): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new PreflightError(
      error.code === 'EADDRINUSE' ? 'E_PORT_IN_USE' : 'E_POOL',
      `The pool exporter cannot listen on ${address.host}:${address.port}: ${error.message}`,
      { hint: 'pass another --listen host:port (port 0 picks a free one)', cause: error },
    );
  });
  return server.address() as AddressInfo;
}

/** Starts the exporter: it serves at once and polls until `stop()`. */
export async function startPoolExporter(options: PoolExporterOptions): Promise<PoolExporter> {
  const metrics = createPoolMetrics();
  const sources = createSources(options, metrics);
  if (sources.length === 0)
    throw new PreflightError(
      'E_CONFIG',
      'monitor pool has nothing to watch: no database, pooler or metrics URL',
      {
        hint: 'set targets.<t>.database.readonlyUrlEnv (or adminUrlEnv), pool.poolerUrlEnv, pool.poolerAdminUrlEnv or pool.supabaseMetricsUrl, and export the variables they name',
      },
    );
  const log = options.log ?? (() => undefined);
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? 30_000, options.intervalMs);
  const states = new Map<PoolSourceName, SourceState>(
    sources.map((s) => [s.name, { source: s.name, up: undefined, failures: 0 }]),
  );

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      response.writeHead(404).end('not found\n');
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('preflight monitor pool: see /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(`${redact(String(error))}\n`),
    );
  });
  const address = await listen(server, options.listen);
  const controller = new AbortController();

  const pollForever = async (source: PoolSource) => {
    const state = states.get(source.name)!;
    while (!controller.signal.aborted) {
      try {
        await source.poll(controller.signal);
        if (controller.signal.aborted) break;
        metrics.sourceUp.set({ source: source.name }, 1);
        if (state.up !== true) log(`${source.name}: up (${source.describe})`);
        state.up = true;
        state.failures = 0;
      } catch (error) {
        if (controller.signal.aborted) break;
        metrics.sourceUp.set({ source: source.name }, 0);
        await source.reset().catch(() => undefined);
        if (state.up !== false)
          log(
            `${source.name}: down (${source.describe}): ${redact((error as Error)?.message ?? String(error))}`,
          );
        state.up = false;
        state.failures++;
      }
      await sleep(getPollDelayMs(state.failures, options.intervalMs, maxBackoffMs), controller.signal);
    }
  };
  const loops = sources.map((source) => pollForever(source));
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/metrics`,
    metrics,
    sources: sources.map((s) => s.name),
    state: () => [...states.values()].map((s) => ({ ...s })),
    async stop() {
      controller.abort();
      await Promise.all(sources.map((s) => s.reset().catch(() => undefined)));
      await Promise.all(loops);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
