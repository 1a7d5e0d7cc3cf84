/** The platform's Prometheus metrics (same names and labels), in a registry of its own per sandbox. */
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface SandboxMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'endpoint' | 'status_code'>;
  httpTotal: Counter<'method' | 'endpoint' | 'status_code'>;
  httpInProgress: Gauge<'method' | 'endpoint'>;
  rateLimitDecisions: Counter<'bucket' | 'action' | 'shadow'>;
  loginAttempts: Counter<'result'>;
  searchLatency: Histogram;
  searchZeroResults: Counter;
  bookingLocks: Counter<'action' | 'outcome'>;
}

export function createMetrics(pool: pg.Pool, poolSize: number): SandboxMetrics {
  const registry = new Registry();
  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool_name'],
      registers: [registry],
      collect() {
        this.set({ pool_name: 'default' }, read());
      },
    });
  const checkedOut = () => pool.totalCount - pool.idleCount;
  poolGauge('instainstru_db_pool_size', 'Configured size of the database pool', () => poolSize);
  poolGauge('instainstru_db_pool_checked_out', 'Connections in use', checkedOut);
  poolGauge('instainstru_db_pool_checked_in', 'Idle connections in the pool', () => pool.idleCount);
  poolGauge('instainstru_db_pool_overflow', 'Requests waiting for a connection', () => pool.waitingCount);
  poolGauge('instainstru_db_pool_usage_percent', 'Share of the pool in use', () =>
    poolSize > 0 ? (checkedOut() / poolSize) * 100 : 0,
  );
  return {
    registry,
    httpDuration: new Histogram({
      name: 'instainstru_http_request_duration_seconds',
      help: 'HTTP request duration in seconds',
      labelNames: ['method', 'endpoint', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpTotal: new Counter({
      name: 'instainstru_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'endpoint', 'status_code'],
      registers: [registry],
    }),
    httpInProgress: new Gauge({
      name: 'instainstru_http_requests_in_progress',
      help: 'HTTP requests being served',
      labelNames: ['method', 'endpoint'],
      registers: [registry],
    }),
    rateLimitDecisions: new Counter({
      name: 'instainstru_rl_decisions_total',
      help: 'Rate limiter decisions',
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
      buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    searchZeroResults: new Counter({
      name: 'instainstru_nl_search_zero_results_total',
      help: 'Searches that returned no results',
      registers: [registry],
    }),
    bookingLocks: new Counter({
      name: 'instainstru_booking_lock_operations_total',
      help: 'Booking advisory-lock operations',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
  };
}
