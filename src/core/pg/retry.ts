/**
 * The one retry policy for PostgreSQL work: exponential backoff with full jitter, a maximum elapsed time, and a
 * classifier of the errors worth retrying (lost or refused connections, too many clients, admin shutdown,
 * serialization failures and deadlocks). Anything else fails at once.
 */
import { type ErrorCode, isPreflightError, PreflightError } from '../errors.js';
import { redact } from '../redact.js';

export interface BackoffPolicy {
  /** Delay cap of the first retry; it doubles with every retry. */
  baseDelayMs: number;
  /** No single delay exceeds this. */
  maxDelayMs: number;
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** No retry starts after this much time since the first attempt (the deadline). */
  maxElapsedMs: number;
}

export const defaultPgRetryPolicy: BackoffPolicy = {
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxAttempts: 6,
  maxElapsedMs: 15_000,
};

/** Full jitter: a uniform delay in [0, min(maxDelayMs, baseDelayMs * 2^retry)); `retry` counts from 0. */
export function getBackoffDelayMs(
  retry: number,
  policy: Pick<BackoffPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

const retryableSqlStates = new Set(['53300', '57P01', '57P02', '57P03', '40001', '40P01']);

const retryableNetworkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

// node-postgres reports a dropped socket and a connect timeout with messages only, no code.
const droppedConnectionMessage =
  /Connection terminated unexpectedly|Connection terminated due to connection timeout|timeout expired|Client has encountered a connection error and is not queryable/i;

/** True when `error` (or its cause) is a transient PostgreSQL or network failure worth another attempt. */
export function isRetryablePgError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (code.length === 5 && code.startsWith('08')) return true;
      if (retryableSqlStates.has(code) || retryableNetworkCodes.has(code)) return true;
    }
    if (typeof message === 'string' && droppedConnectionMessage.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some(isRetryablePgError)) return true;
    e = cause;
  }
  return false;
}

export interface PgRetryOptions extends Partial<BackoffPolicy> {
  /** What is being done, for the error message: "reading pg_stat_activity". */
  operation?: string;
  /** Code of the error after the last attempt when the cause is not already a PreflightError (default E_POOL). */
  code?: ErrorCode;
  hint?: string;
  isRetryable?: (error: unknown) => boolean;
  /** Called before each delay; `attempt` is the attempt that just failed (1-based). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The attempt count a `withPgRetry` failure carries (1 for an error that did not come from it). */
export function getAttemptCount(error: unknown): number {
  const attempts = isPreflightError(error) ? error.details.attempts : undefined;
  return typeof attempts === 'number' ? attempts : 1;
}

function toRetryError(
  error: unknown,
  attempts: number,
  elapsedMs: number,
  options: PgRetryOptions,
): PreflightError {
  const what = options.operation ?? 'PostgreSQL operation';
  const reason = redact(error instanceof Error ? error.message : String(error));
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  const code = isPreflightError(error) ? error.code : (options.code ?? 'E_POOL');
  const hint = isPreflightError(error) ? (error.hint ?? options.hint) : options.hint;
  const sqlState = (error as { code?: unknown } | null)?.code;
  return new PreflightError(code, `${what} failed after ${tries} (${elapsedMs} ms): ${reason}`, {
    cause: error,
    hint,
    exitCode: isPreflightError(error) ? error.exitCode : undefined,
    details: {
      ...(isPreflightError(error) ? error.details : {}),
      attempts,
      elapsedMs,
      ...(typeof sqlState === 'string' ? { sqlState } : {}),
    },
  });
}

/**
 * Runs `fn` (given the 1-based attempt number) until it succeeds, fails with a non-retryable error, runs out of
 * attempts or passes the deadline. The error thrown is a PreflightError naming the attempt count, with the last
 * failure as `cause` and `details.attempts`.
 */
export async function withPgRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: PgRetryOptions = {},
): Promise<T> {
  const policy: BackoffPolicy = {
    baseDelayMs: options.baseDelayMs ?? defaultPgRetryPolicy.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? defaultPgRetryPolicy.maxDelayMs,
    maxAttempts: options.maxAttempts ?? defaultPgRetryPolicy.maxAttempts,
    maxElapsedMs: options.maxElapsedMs ?? defaultPgRetryPolicy.maxElapsedMs,
  };
  validatePolicy(policy);
  const isRetryable = options.isRetryable ?? isRetryablePgError;
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const elapsed = now() - started;
      const delayMs = getBackoffDelayMs(attempt - 1, policy, options.random);
      const giveUp =
        !isRetryable(error) ||
        attempt >= policy.maxAttempts ||
        elapsed + delayMs > policy.maxElapsedMs ||
        options.signal?.aborted === true;
      if (giveUp) throw toRetryError(error, attempt, elapsed, options);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

function validatePolicy(policy: BackoffPolicy): void {
  for (const [key, value] of Object.entries(policy)) {
    const min = key === 'maxAttempts' ? 1 : 0;
    if (!Number.isFinite(value) || value < min) {
      throw new PreflightError('E_USAGE', `Expected \`${key}\` to be a number >= ${min}, got \`${value}\``);
    }
  }
}
