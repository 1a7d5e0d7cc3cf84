import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { PreflightError } from '../errors.js';
import { type Cluster, createCluster } from './cluster.js';
import { getAttemptCount, getBackoffDelayMs, isRetryablePgError, withPgRetry } from './retry.js';

const withCode = (code: string, message = `failure ${code}`) => Object.assign(new Error(message), { code });
const noSleep = async () => {};

describe('retryable error classes', () => {
  it.each([
    ['08000 connection exception', withCode('08000')],
    ['08003 connection does not exist', withCode('08003')],
    ['08006 connection failure', withCode('08006')],
    ['08P01 protocol violation', withCode('08P01')],
    ['53300 too many connections', withCode('53300')],
    ['57P01 admin shutdown', withCode('57P01')],
    ['57P02 crash shutdown', withCode('57P02')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['40001 serialization failure', withCode('40001')],
    ['40P01 deadlock', withCode('40P01')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['EPIPE', withCode('EPIPE')],
    ['EHOSTUNREACH', withCode('EHOSTUNREACH')],
    ['a dropped pg socket', new Error('Connection terminated unexpectedly')],
    ['a retryable cause', new Error('wrapped', { cause: withCode('57P01') })],
    [
      'one retryable error of an AggregateError',
      new AggregateError([new Error('x'), withCode('ECONNREFUSED')]),
    ],
  ])('%s is retried', async (_name, failure) => {
    expect(isRetryablePgError(failure)).toBe(true);
    let calls = 0;
    const result = await withPgRetry(
      async () => {
        calls++;
        if (calls < 3) throw failure;
        return 'ok';
      },
      { sleep: noSleep },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it.each([
    ['42601 syntax error', withCode('42601')],
    ['23505 unique violation', withCode('23505')],
    ['28P01 bad password', withCode('28P01')],
    ['57014 query canceled', withCode('57014')],
    ['a plain error', new Error('boom')],
    ['a non-error value', 'just a string'],
  ])('%s is not retried, and the error says 1 attempt', async (_name, failure) => {
    expect(isRetryablePgError(failure)).toBe(false);
    let calls = 0;
    const error = await withPgRetry(
      async () => {
        calls++;
        throw failure;
      },
      { sleep: noSleep, operation: 'reading things' },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).message).toMatch(/^reading things failed after 1 attempt \(/);
    expect((error as PreflightError).cause).toBe(failure);
    expect(getAttemptCount(error)).toBe(1);
  });
});

describe('backoff', () => {
  it('full jitter stays within [0, min(cap, base * 2^retry))', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(getBackoffDelayMs(0, policy, () => 0)).toBe(0);
    expect(getBackoffDelayMs(0, policy, () => 0.999_999)).toBe(99);
    expect(getBackoffDelayMs(2, policy, () => 0.999_999)).toBe(399);
    expect(getBackoffDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(getBackoffDelayMs(4, policy, () => 0.999_999)).toBe(999);
    expect(getBackoffDelayMs(30, policy, () => 0.999_999)).toBe(999);
    for (let retry = 0; retry < 12; retry++) {
      const bound = Math.min(1_000, 100 * 2 ** retry);
      for (let i = 0; i < 50; i++) {
        const delay = getBackoffDelayMs(retry, policy);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(bound);
      }
    }
  });

  it('sleeps the jittered delays and stops after maxAttempts with the attempt count in the error', async () => {
    const slept: number[] = [];
    const retried: number[] = [];
    const failure = withCode('57P01', 'terminating connection due to administrator command');
    const error = await withPgRetry(
      async () => {
        throw failure;
      },
      {
        baseDelayMs: 100,
        maxDelayMs: 250,
        maxAttempts: 4,
        maxElapsedMs: 60_000,
        random: () => 0.5,
        sleep: async (ms) => {
          slept.push(ms);
        },
        onRetry: (_e, attempt) => retried.push(attempt),
        operation: 'reading pg_stat_activity',
        code: 'E_TARGET_UNREACHABLE',
      },
    ).catch((e: unknown) => e);
    expect(slept).toEqual([50, 100, 125]);
    expect(retried).toEqual([1, 2, 3]);
    expect(error).toMatchObject({
      code: 'E_TARGET_UNREACHABLE',
      details: { attempts: 4, sqlState: '57P01' },
    });
    expect((error as Error).message).toMatch(
      /^reading pg_stat_activity failed after 4 attempts \(\d+ ms\): terminating connection/,
    );
    expect((error as Error).cause).toBe(failure);
    expect(getAttemptCount(error)).toBe(4);
  });

  it('starts no retry past the deadline (maxElapsedMs)', async () => {
    let clock = 0;
    let calls = 0;
    const error = await withPgRetry(
      async () => {
        calls++;
        clock += 400;
        throw withCode('ECONNREFUSED');
      },
      {
        baseDelayMs: 1_000,
        maxDelayMs: 1_000,
        maxAttempts: 100,
        maxElapsedMs: 2_000,
        random: () => 0.5,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    ).catch((e: unknown) => e);
    // attempt 1 ends at 400 (+500 delay), 2 at 1300 (1300+500 <= 2000: retried), 3 at 2200: past the deadline.
    expect(calls).toBe(3);
    expect(clock).toBe(2_200);
    expect(getAttemptCount(error)).toBe(3);
  });

  it('keeps the code of a PreflightError cause and names a bad option', async () => {
    const inner = new PreflightError('E_BACKUP', 'dump failed', { hint: 'look at it' });
    await expect(
      withPgRetry(async () => {
        throw inner;
      }),
    ).rejects.toMatchObject({ code: 'E_BACKUP', hint: 'look at it', details: { attempts: 1 } });
    await expect(withPgRetry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(
      'Expected `maxAttempts` to be a number >= 1, got `0`',
    );
  });
});

describe('withPgRetry against a real PostgreSQL', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await createCluster({ dataDir: join(makeTempDir('preflight-retry-'), 'data'), password: 'pw' });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('retries a query whose connection pg_terminate_backend killed, and succeeds on a new one', async () => {
    const admin = new pg.Client(cluster.url());
    await admin.connect();
    const clients: pg.Client[] = [];
    try {
      const attempts: number[] = [];
      const result = await withPgRetry(
        async (attempt) => {
          attempts.push(attempt);
          const client = new pg.Client(cluster.url());
          client.on('error', () => {});
          clients.push(client);
          await client.connect();
          if (attempt === 1) {
            const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
            await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
          }
          const { rows } = await client.query<{ answer: number }>('SELECT 42 AS answer');
          return rows[0]?.answer;
        },
        { baseDelayMs: 10, maxDelayMs: 50 },
      );
      expect(result).toBe(42);
      expect(attempts).toEqual([1, 2]);
    } finally {
      await Promise.allSettled(clients.map((c) => c.end()));
      await admin.end();
    }
  });

  it('does not retry a syntax error (42601)', async () => {
    const client = new pg.Client(cluster.url());
    await client.connect();
    try {
      let calls = 0;
      const error = await withPgRetry(async () => {
        calls++;
        return client.query('SELEC 1');
      }).catch((e: unknown) => e);
      expect(calls).toBe(1);
      expect(error).toMatchObject({ code: 'E_POOL', details: { attempts: 1, sqlState: '42601' } });
    } finally {
      await client.end();
    }
  });
});
