/** Retries of transient storage and network errors: exponential backoff with full jitter; anything else fails fast. */
import { getBackoffDelayMs } from '../src/core/pg/retry.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 };

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTCONN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const transientNames = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'NetworkingError',
]);

/** True for errors worth retrying: connection failures, timeouts, throttling and 5xx answers. */
export function isTransientError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as {
    code?: string;
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    cause?: unknown;
  };
  if (e.code && transientCodes.has(e.code)) return true;
  if (e.name && transientNames.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true;
  if (
    typeof e.message === 'string' &&
    /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|other side closed/i.test(e.message)
  )
    return true;
  return e.cause !== undefined && e.cause !== error && isTransientError(e.cause);
}

/** The delay before retry number `retry` (1-based): the core policy's full jitter over an exponentially growing cap. */
export function getRetryDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return getBackoffDelayMs(retry - 1, policy, random);
}

export interface RetryOptions {
  policy?: RetryPolicy;
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `operation` until it succeeds, a non-transient error occurs, or the attempts run out. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  const isRetryable = options.isRetryable ?? isTransientError;
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const delayMs = getRetryDelayMs(attempt, policy);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}

/** Settles after `work` or after `ms`, whichever is first: a cleanup after a failure must not hold the run up. */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => resolve(), ms);
    timer.unref();
    work.then(
      () => resolve(),
      () => resolve(),
    );
  });
}
