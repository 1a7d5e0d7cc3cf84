// Configurable limits and failure modes: custom rate limits, login lockout, per-user booking limit, pool size, DB down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopCluster } from '../core/pg/cluster.js';
import { findOpenSlot, startTestSandbox, type TestSandbox } from './fixtures/sandbox.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    poolSize: 3,
    poolTimeoutMs: 2000,
    weaken: ['sqli-search'],
    rateLimits: {
      globalPerIpPerMinute: 30,
      loginPerEmailPerMinute: 50,
      loginPerIpPerMinute: 50,
      bookingsPerUserPerMinute: 2,
    },
  });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('configured limits', () => {
  it('uses the configured global limit and pool size', async () => {
    const first = await sandbox.call('/auth/me', { noBypass: true, localAddress: '127.0.2.1' });
    expect(first.headers['x-ratelimit-limit']).toBe('30');
    for (let i = 0; i < 29; i++)
      await sandbox.call('/auth/me', { noBypass: true, localAddress: '127.0.2.1' });
    expect((await sandbox.call('/auth/me', { noBypass: true, localAddress: '127.0.2.1' })).status).toBe(429);
    const { username, password } = sandbox.handle.state.metricsAuth;
    const metrics = await sandbox.call('/metrics/prometheus', {
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    expect(metrics.text).toContain('instainstru_db_pool_size{pool_name="default"} 3');
    expect(metrics.text).toContain(
      'instainstru_rl_decisions_total{bucket="global",action="block",shadow="false"} 1',
    );
    expect(sandbox.handle.state).toMatchObject({ poolSize: 3, poolTimeoutMs: 2000 });
  });

  it('locks an account after five failed logins, even for the right password, with Retry-After', async () => {
    const email = sandbox.handle.state.loadTestStudents.emails[199] as string;
    for (let i = 0; i < 5; i++) {
      const failed = await sandbox.call('/auth/login', {
        method: 'POST',
        noBypass: true,
        localAddress: '127.0.2.2',
        form: { username: email, password: 'wrong' },
      });
      expect(failed.status).toBe(401);
    }
    const locked = await sandbox.call('/auth/login', {
      method: 'POST',
      noBypass: true,
      localAddress: '127.0.2.2',
      form: { username: email, password: sandbox.handle.state.loadTestStudents.password },
    });
    expect(locked.status).toBe(429);
    expect(locked.json().code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(30);
  });

  it('limits bookings per user per minute', async () => {
    const token = await sandbox.login('studentA');
    const slot = await findOpenSlot(sandbox, 60);
    const body = {
      instructor_id: slot.instructorId,
      instructor_service_id: slot.serviceId,
      booking_date: slot.date,
      start_time: slot.start,
      selected_duration: 60,
    };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await sandbox.call('/bookings', {
            method: 'POST',
            token,
            noBypass: true,
            localAddress: `127.0.2.${10 + i}`,
            json: body,
          })
        ).status,
      );
    expect(statuses).toEqual([201, 409, 429]);
  });

  it('exposes X-RateLimit headers on preflights too', async () => {
    const preflight = await sandbox.call('/bookings', {
      method: 'OPTIONS',
      noBypass: true,
      localAddress: '127.0.2.20',
      headers: { 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['x-ratelimit-limit']).toBe('30');
  });
});

describe('pool exhaustion', () => {
  it('shows as 503 DB_POOL_TIMEOUT once every connection is busy longer than the acquire timeout', async () => {
    const sleep = "x' OR (SELECT 1 FROM pg_sleep(4)) = 1 OR '1'='2";
    const sleepers = Array.from({ length: 3 }, () =>
      sandbox.call(`/search?q=piano&region=${encodeURIComponent(sleep)}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const starved = await sandbox.call('/search?q=guitar');
    expect(starved.status).toBe(503);
    expect(starved.json().code).toBe('DB_POOL_TIMEOUT');
    expect(starved.headers['content-type']).toContain('application/problem+json');
    for (const response of await Promise.all(sleepers)) expect(response.status).toBe(200);
  });
});

describe('database down', () => {
  it('/ready answers 503 and data routes 503 problem+json while /health stays up', async () => {
    await stopCluster(sandbox.handle.state.db.dataDir, 'immediate');
    const ready = await sandbox.call('/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toContain('application/problem+json');
    const search = await sandbox.call('/search?q=piano');
    expect(search.status).toBe(503);
    expect(['DB_UNAVAILABLE', 'DB_POOL_TIMEOUT']).toContain(search.json().code);
    expect((await sandbox.call('/health')).status).toBe(200);
  });
});
