import { describe, expect, it } from 'vitest';
import { getRetryDelayMs, isTransientError, withRetry } from './retry.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };

describe('retries', () => {
  it('classifies connection failures, timeouts, throttling and 5xx as transient, the rest not', () => {
    expect(isTransientError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientError({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransientError(new Error('socket hang up'))).toBe(true);
    expect(
      isTransientError(
        new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      ),
    ).toBe(true);
    expect(isTransientError({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransientError({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isTransientError(Object.assign(new Error('full'), { code: 'ENOSPC' }))).toBe(false);
  });

  it('backs off exponentially with full jitter inside [0, cap], capped at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((r) => getRetryDelayMs(r, policy, () => 0))).toEqual([0, 0, 0, 0]);
    expect([1, 2, 3, 4].map((r) => getRetryDelayMs(r, policy, () => 0.5))).toEqual([50, 100, 150, 150]);
    expect([1, 2, 3, 4].map((r) => getRetryDelayMs(r, policy, () => 1))).toEqual([100, 200, 300, 300]);
  });

  it('retries transient errors until success, and fails fast on anything else', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return 'ok';
      },
      { policy, sleep: async (ms) => void sleeps.push(ms) },
    );
    expect([value, calls, sleeps.length]).toEqual(['ok', 3, 2]);

    let denied = 0;
    await expect(
      withRetry(
        async () => {
          denied++;
          throw { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } };
        },
        { policy, sleep: async () => undefined },
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(denied).toBe(1);

    let refused = 0;
    await expect(
      withRetry(
        async () => {
          refused++;
          throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        },
        { policy, sleep: async () => undefined },
      ),
    ).rejects.toThrow('refused');
    expect(refused).toBe(policy.attempts);
  });
});
