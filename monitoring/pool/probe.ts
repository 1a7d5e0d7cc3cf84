/** The acquire probe: connect through the pooler, SELECT 1, close; how long that took is the wait a client feels. */
import pg from 'pg';
import type { PoolMetrics } from './metrics.js';
import type { PoolSource } from './source.js';

export type AcquireFailureCause =
  | 'refused'
  | 'timeout'
  | 'auth'
  | 'too_many_connections'
  | 'server_shutdown'
  | 'server_error'
  | 'network';

/** A failed probe's cause, a small fixed set (a label value never carries the error text). */
export function classifyAcquireFailure(error: unknown): AcquireFailureCause {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(message ?? '')) return 'timeout';
  if (code === '28P01' || code === '28000') return 'auth';
  if (code === '53300' || /no more connections allowed/i.test(message ?? '')) return 'too_many_connections';
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'server_shutdown';
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return 'server_error';
  return 'network';
}

export interface ProbeOptions {
  /** The pooled connection URL. */
  url: string;
  /** Give up on one probe after this long (default 10 s). */
  timeoutMs?: number;
}

/** One probe: the seconds it took, or throws. */
export async function probeAcquire(options: ProbeOptions, signal?: AbortSignal): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'preflight-pool-probe',
  });
  client.on('error', () => undefined);
  const stop = () => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return (performance.now() - started) / 1000;
  } finally {
    signal?.removeEventListener('abort', stop);
    await client.end().catch(() => undefined);
  }
}

export function createProbeSource(options: ProbeOptions, metrics: PoolMetrics): PoolSource {
  return {
    name: 'probe',
    describe: 'acquire probe (connect through the pooler, SELECT 1, close)',
    async poll(signal) {
      try {
        metrics.acquireSeconds.observe(await probeAcquire(options, signal));
      } catch (error) {
        if (signal.aborted) return;
        metrics.acquireFailures.inc({ cause: classifyAcquireFailure(error) });
        throw error;
      }
    },
    async reset() {},
  };
}
