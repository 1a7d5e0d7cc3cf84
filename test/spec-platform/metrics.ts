// The platform's Prometheus metrics on a registry of its own (nothing shared with other servers in the process).
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface PoolSettings {
  size: number;
  maxOverflow: number;
}

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(pool: Pool, settings: PoolSettings) {
  const registry = new Registry();
  const httpLabels = ['method', 'endpoint', 'status_code'] as const;
  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: `instainstru_db_pool_${name}`,
      help,
      labelNames: ['pool_name'],
      registers: [registry],
      collect() {
        this.set({ pool_name: 'api' }, read());
      },
    });
  const checkedOut = () => pool.totalCount - pool.idleCount;
  poolGauge('size', 'Configured pool size', () => settings.size);
  poolGauge('checked_out', 'Connections in use', checkedOut);
  poolGauge('checked_in', 'Idle connections', () => pool.idleCount);
  poolGauge('overflow', 'Connections above the pool size', () =>
    Math.max(0, pool.totalCount - settings.size),
  );
  poolGauge(
    'usage_percent',
    'Connections in use as a share of size + overflow',
    () => (100 * checkedOut()) / (settings.size + settings.maxOverflow),
  );
  return {
    registry,
    requestDuration: new Histogram({
      name: 'instainstru_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: httpLabels,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    requestsTotal: new Counter({
      name: 'instainstru_http_requests_total',
      help: 'HTTP requests',
      labelNames: httpLabels,
      registers: [registry],
    }),
    requestsInProgress: new Gauge({
      name: 'instainstru_http_requests_in_progress',
      help: 'HTTP requests being served',
      labelNames: ['method', 'endpoint'],
      registers: [registry],
    }),
    rateLimitDecisions: new Counter({
      name: 'instainstru_rl_decisions_total',
      help: 'Rate limit decisions',
      labelNames: ['bucket', 'action', 'shadow'],
      registers: [registry],
    }),
    loginAttempts: new Counter({
      name: 'instainstru_login_attempts_total',
      help: 'Login attempts by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    searchLatency: new Histogram({
      name: 'instainstru_nl_search_latency_ms',
      help: 'Natural-language search latency in milliseconds',
      buckets: [5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    searchZeroResults: new Counter({
      name: 'instainstru_nl_search_zero_results_total',
      help: 'Searches without results',
      registers: [registry],
    }),
    bookingLocks: new Counter({
      name: 'instainstru_booking_lock_operations_total',
      help: 'Booking advisory lock operations',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
  };
}
