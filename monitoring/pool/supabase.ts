/**
 * The Supabase source: the project's metrics endpoint (Prometheus text) read with core's exposition parser, its
 * pooler series mapped onto ours. Mapped: the prometheus-community pgbouncer_exporter names (`pgbouncer_pools_*`,
 * `pgbouncer_stats_*_pooled_total`). Not tested against the real Supabase endpoint (no internet here).
 */
import { PreflightError } from '../../src/core/errors.js';
import { type ExpositionSample, parseSamples } from '../../src/core/exposition.js';
import { redactUrl } from '../../src/core/redact.js';
import type { PoolMetrics } from './metrics.js';
import { setCounter } from './metrics.js';
import type { PoolSource } from './source.js';

export interface SupabaseEndpoint {
  url: string;
  username?: string;
  password?: string;
}

/** Supabase (pgbouncer_exporter) series -> our pooler gauge. */
const poolSeries = {
  pgbouncer_pools_client_active_connections: 'clActive',
  pgbouncer_pools_client_waiting_connections: 'clWaiting',
  pgbouncer_pools_server_active_connections: 'svActive',
  pgbouncer_pools_server_idle_connections: 'svIdle',
  pgbouncer_pools_server_used_connections: 'svUsed',
  pgbouncer_pools_client_maxwait_seconds: 'maxwait',
} as const;

const statSeries = {
  pgbouncer_stats_queries_pooled_total: 'queries',
  pgbouncer_stats_sql_transactions_pooled_total: 'transactions',
} as const;

async function fetchSamples(endpoint: SupabaseEndpoint): Promise<ExpositionSample[]> {
  const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
  if (endpoint.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${endpoint.username ?? 'service_role'}:${endpoint.password}`).toString('base64')}`;
  const response = await fetch(endpoint.url, {
    headers,
    signal: AbortSignal.timeout(10_000),
    redirect: 'manual',
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new PreflightError('E_POOL', `${redactUrl(endpoint.url)} answered HTTP ${response.status}`, {
      hint:
        response.status === 401
          ? 'set pool.supabaseMetricsPasswordEnv to the variable holding the service_role key'
          : 'pool.supabaseMetricsUrl must serve the Prometheus text format',
    });
  return parseSamples(text);
}

export function createSupabaseSource(endpoint: SupabaseEndpoint, metrics: PoolMetrics): PoolSource {
  const m = metrics.pooler;
  const gauges = Object.values(poolSeries).map((key) => m[key]);
  const clear = () => {
    for (const gauge of gauges) gauge.reset();
    m.queries.reset();
    m.transactions.reset();
  };
  return {
    name: 'supabase',
    describe: `Supabase metrics endpoint ${redactUrl(endpoint.url)}`,
    async poll() {
      const samples = await fetchSamples(endpoint);
      clear();
      for (const sample of samples) {
        const database = sample.labels.database ?? sample.labels.db_name ?? 'unknown';
        if (sample.name in poolSeries) {
          const key = poolSeries[sample.name as keyof typeof poolSeries];
          m[key].set({ database, user: sample.labels.user ?? 'unknown' }, sample.value);
        } else if (sample.name in statSeries) {
          const key = statSeries[sample.name as keyof typeof statSeries];
          setCounter(m[key], { database }, sample.value);
        }
      }
    },
    async reset() {
      clear();
    },
  };
}
