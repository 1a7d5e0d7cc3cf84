// The twin's answer to dropped database connections, over real HTTP and a real PostgreSQL: hardened, a query cut by
// pg_terminate_backend is retried once on a new connection; with `no-db-retry` the request fails, and so does the
// first request that draws a pooled connection that died while idle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from './fixtures/sandbox.js';

let hardened: TestSandbox;
let weak: TestSandbox;

beforeAll(async () => {
  // every pooled query first sleeps 1.5 s in the database, so a request is surely in flight when its session dies
  [hardened, weak] = await Promise.all([
    startTestSandbox({ queryDelayMs: 1500 }),
    startTestSandbox({ queryDelayMs: 1500, weaken: ['no-db-retry'] }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([hardened?.stop(), weak?.stop()]);
});

async function terminateApiSessions(sandbox: TestSandbox, onlyActive: boolean): Promise<number> {
  const rows = await sandbox.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
      WHERE application_name = 'instainstru-api' AND ($1::bool IS FALSE OR state = 'active')) t WHERE done`,
    [onlyActive],
  );
  return rows[0]?.n ?? 0;
}

async function waitForActiveQuery(sandbox: TestSandbox): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await sandbox.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'instainstru-api' AND state = 'active'",
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no API query became active');
}

async function cutInFlight(sandbox: TestSandbox) {
  const pending = sandbox.call('/ready');
  await waitForActiveQuery(sandbox);
  expect(await terminateApiSessions(sandbox, true)).toBeGreaterThan(0);
  return pending;
}

describe('a query whose connection is terminated mid-flight', () => {
  it('hardened: is retried once on a new connection and the request succeeds', async () => {
    const response = await cutInFlight(hardened);
    expect(response.status, response.text).toBe(200);
  });

  it('no-db-retry: fails the request with 503', async () => {
    const response = await cutInFlight(weak);
    expect(response.status).toBe(503);
    expect(response.json().code).toBe('NOT_READY');
  });
});

describe('a pooled connection that died while idle', () => {
  it('hardened: is never handed out (the next request succeeds)', async () => {
    expect((await hardened.call('/ready')).status).toBe(200);
    expect(await terminateApiSessions(hardened, false)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await hardened.call('/ready')).status).toBe(200);
  });

  it('no-db-retry: fails the first request that draws it, then the pool works again', async () => {
    expect((await weak.call('/ready')).status).toBe(200);
    expect(await terminateApiSessions(weak, false)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = await weak.call('/ready');
    expect(first.status).toBe(503);
    expect(first.json().detail).toMatch(/stale pooled connection/);
    expect((await weak.call('/ready')).status).toBe(200);
  });
});
