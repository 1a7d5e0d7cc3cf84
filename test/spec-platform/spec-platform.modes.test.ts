// The spec platform's switches: production (CSRF, aud/iss, headers), the weak booking path, short windows, cleanup.
import { existsSync } from 'node:fs';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortInUse } from '../../src/core/net.js';
import { BOOKING_LOCK_SQL, getBookingLockKey, type SpecPlatform, startSpecPlatform } from './index.js';

let platform: SpecPlatform;
let db: pg.Client;

function postLogin(headers: Record<string, string>, account = platform.accounts.students[0]!) {
  return fetch(`${platform.apiBase}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ username: account.email, password: account.password }),
  });
}

const bypass = () => ({ 'X-Rate-Limit-Bypass': platform.bypassToken });
const readSid = (response: Response) =>
  response.headers
    .getSetCookie()
    .find((c) => c.startsWith('sid='))
    ?.split(';')[0]
    ?.slice(4);

function nextWeekday(daysAhead: number): string {
  let at = Date.now() + daysAhead * 86_400_000;
  while ([0, 6].includes(new Date(at).getUTCDay())) at += 86_400_000;
  return new Date(at).toISOString().slice(0, 10);
}

beforeAll(async () => {
  platform = await startSpecPlatform({
    environment: 'production',
    weakDoubleBooking: true,
    rateLimitWindowMs: 1500,
    limits: { globalPerIp: 5 },
  });
  db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await platform?.stop();
});

describe('spec platform options', () => {
  it('refuses bad options, naming the option and the value', async () => {
    await expect(startSpecPlatform({ rateLimitWindowMs: 5 })).rejects.toThrow(
      'Expected `rateLimitWindowMs` to be an integer >= 100, got `5`',
    );
    await expect(startSpecPlatform({ environment: 'staging' as 'preview' })).rejects.toThrow('`staging`');
    await expect(startSpecPlatform({ frontendOrigin: 'http://localhost:3000/app' })).rejects.toThrow(
      '`frontendOrigin`',
    );
    await expect(startSpecPlatform({ limits: { globalPerIp: 0 } })).rejects.toThrow('`limits.globalPerIp`');
  });
});

describe('spec platform in production mode', () => {
  it('sends the production security headers', async () => {
    const health = await fetch(`${platform.apiBase}/health`);
    expect(health.headers.get('strict-transport-security')).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(((await health.json()) as { environment: string }).environment).toBe('production');
  });

  it('refuses unsafe methods without the frontend as Origin or Referer (403 CSRF_ORIGIN_MISMATCH)', async () => {
    const missing = await postLogin(bypass());
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { code: string }).code).toBe('CSRF_ORIGIN_MISMATCH');
    expect((await postLogin({ ...bypass(), Origin: 'https://evil.example' })).status).toBe(403);
    expect((await postLogin({ ...bypass(), Origin: platform.frontendOrigin })).status).toBe(200);
    expect((await postLogin({ ...bypass(), Referer: `${platform.frontendOrigin}/login` })).status).toBe(200);
  });

  it('sets Secure cookies and enforces aud and iss on tokens', async () => {
    const login = await postLogin({ ...bypass(), Origin: platform.frontendOrigin });
    expect(login.headers.getSetCookie().find((c) => c.startsWith('sid='))).toMatch(/; Secure/);
    const sid = readSid(login)!;
    const me = (token: string) =>
      fetch(`${platform.apiBase}/auth/me`, { headers: { Authorization: `Bearer ${token}`, ...bypass() } });
    const good = await me(sid);
    expect(good.status).toBe(200);
    const { id, email } = (await good.json()) as { id: string; email: string };
    const withoutAudience = await new SignJWT({ email, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('no-audience')
      .sign(new TextEncoder().encode(platform.jwtSecret));
    expect((await me(withoutAudience)).status).toBe(401);
  });

  it('with weakDoubleBooking, POST /bookings does not wait for the advisory lock', async () => {
    const login = await postLogin(
      { ...bypass(), Origin: platform.frontendOrigin },
      platform.accounts.students[1],
    );
    const token = readSid(login)!;
    const { rows } = await db.query(
      `SELECT s.id AS service_id, s.instructor_id FROM instructor_services s JOIN users u ON u.id = s.instructor_id
       WHERE u.email = 'instructor@spec.test' LIMIT 1`,
    );
    const service = rows[0] as { service_id: string; instructor_id: string };
    const date = nextWeekday(5);
    const holder = new pg.Client({ connectionString: platform.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(BOOKING_LOCK_SQL, [getBookingLockKey(service.instructor_id, date)]);
      const response = await fetch(`${platform.apiBase}/bookings`, {
        method: 'POST',
        headers: {
          ...bypass(),
          Origin: platform.frontendOrigin,
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          instructor_id: service.instructor_id,
          instructor_service_id: service.service_id,
          booking_date: date,
          start_time: '09:00',
          selected_duration: 60,
          location_type: 'online',
          timezone: 'America/New_York',
        }),
      });
      expect(response.status).toBe(201);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('lets a client back in once its short window has passed', async () => {
    const ip = { 'X-Forwarded-For': '192.0.2.50' };
    const search = () => fetch(`${platform.apiBase}/search?q=violin`, { headers: ip });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await search()).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    let status = 429;
    for (let i = 0; i < 100 && status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await search()).status;
    }
    expect(status).toBe(200);
  });
});

describe('spec platform databases and cleanup', () => {
  it('gives a read-only role that can select and not write', async () => {
    const reader = new pg.Client({ connectionString: platform.readonlyDatabaseUrl });
    await reader.connect();
    try {
      const { rows } = await reader.query("SELECT count(*)::int AS n FROM users WHERE role = 'student'");
      expect(rows[0].n).toBe(60);
      await expect(reader.query("UPDATE users SET first_name = 'x'")).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await reader.end();
    }
  });

  it('runs over a database URL passed in and leaves that database in place', async () => {
    await db.query('CREATE DATABASE passed_in');
    const databaseUrl = platform.databaseUrl.replace(/\/instainstru$/, '/passed_in');
    const second = await startSpecPlatform({ databaseUrl });
    try {
      expect(second.dir).toBeUndefined();
      expect(second.readonlyDatabaseUrl).toBeUndefined();
      const search = await fetch(`${second.apiBase}/search?q=piano`);
      expect(((await search.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);
      expect((await fetch(`${second.apiBase}/ready`)).status).toBe(200);
      // a database that refuses connections makes /ready answer 503 while /health stays up
      await db.query('ALTER DATABASE passed_in ALLOW_CONNECTIONS false');
      await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'passed_in'");
      expect((await fetch(`${second.apiBase}/ready`)).status).toBe(503);
      expect((await fetch(`${second.apiBase}/health`)).status).toBe(200);
      await db.query('ALTER DATABASE passed_in ALLOW_CONNECTIONS true');
    } finally {
      await second.stop();
    }
    expect(await isPortInUse(Number(new URL(second.baseUrl).port))).toBe(false);
    const check = new pg.Client({ connectionString: databaseUrl });
    await check.connect();
    try {
      expect((await check.query('SELECT count(*)::int AS n FROM service_catalog')).rows[0].n).toBe(10);
    } finally {
      await check.end();
    }
  });

  it('stop() closes the server, stops PostgreSQL and removes its directory', async () => {
    const dir = platform.dir!;
    expect(existsSync(dir)).toBe(true);
    await db.end();
    await platform.stop();
    expect(existsSync(dir)).toBe(false);
    expect(await isPortInUse(Number(new URL(platform.baseUrl).port))).toBe(false);
    expect(await isPortInUse(Number(new URL(platform.databaseUrl).port))).toBe(false);
  });
});
