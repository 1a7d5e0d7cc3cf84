// The hardened twin over real HTTP and a real PostgreSQL: route shapes, auth, CSRF/CORS, headers, bookings race, limits.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformSearchResult } from '../search-check/fake-search-server.js';
import { readSid, send } from './fixtures/http.js';
import { findOpenSlot, ORIGIN, startTestSandbox, type TestSandbox } from './fixtures/sandbox.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
});

const problemKeys = ['type', 'title', 'status', 'detail', 'instance', 'code', 'request_id', 'errors'];

interface SearchBody {
  results: PlatformSearchResult[];
  meta: {
    query: string;
    parsed: { service_query: string | null; max_price: number | null; location: string | null };
    total_results: number;
    limit: number;
    latency_ms: number;
    cache_hit: boolean;
    soft_filtering_used: boolean;
    filters_applied: string[];
  };
}

describe('health, headers and errors', () => {
  it('GET /health and /ready answer with the platform shapes and security headers', async () => {
    const health = await sandbox.call('/health');
    expect(health.status).toBe(200);
    expect(Object.keys(health.json()).sort()).toEqual([
      'environment',
      'git_sha',
      'service',
      'status',
      'timestamp',
      'version',
    ]);
    expect(health.json().status).toBe('healthy');
    expect(health.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(health.headers['referrer-policy']).toBe('no-referrer');
    expect(health.headers.server).toBeUndefined();
    expect(health.headers['x-powered-by']).toBeUndefined();
    const ready = await sandbox.call('/ready');
    expect(ready.status).toBe(200);
  });

  it('unknown routes, bad parameters and big bodies are problem+json', async () => {
    const missing = await sandbox.call('/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(Object.keys(missing.json())).toEqual(expect.arrayContaining(problemKeys));
    const perPage = await sandbox.call('/instructors?per_page=101');
    expect(perPage.status).toBe(422);
    expect(perPage.json<{ errors: Array<{ loc: string[] }> }>().errors.map((e) => e.loc)).toEqual([
      ['query', 'service_catalog_id'],
      ['query', 'per_page'],
    ]);
    const emptyQuery = await sandbox.call('/search?q=');
    expect(emptyQuery.status).toBe(422);
    expect((await sandbox.call('/search?q=piano&limit=51')).status).toBe(422);
    const big = await sandbox.call('/auth/login', {
      method: 'POST',
      json: { username: 'x'.repeat(1024 * 1024 + 10), password: 'y' },
    });
    expect(big.status).toBe(413);
    expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('docs and the debug route are not served when hardened', async () => {
    for (const path of ['/docs', '/redoc', '/openapi.json', '/sentry-debug', '/api/v1/sentry-debug']) {
      expect((await sandbox.call(`${sandbox.handle.state.baseUrl}${path}`)).status).toBe(404);
    }
  });
});

describe('search', () => {
  it('"piano under $80" returns only piano services priced at most $80 (service-level match)', async () => {
    const response = await sandbox.call(`/search?q=${encodeURIComponent('piano under $80')}`);
    expect(response.status).toBe(200);
    const body = response.json<SearchBody>();
    expect(body.meta.parsed).toEqual({ service_query: 'piano', max_price: 80, location: null });
    expect(body.meta.soft_filtering_used).toBe(false);
    expect(body.results.length).toBeGreaterThanOrEqual(5);
    for (const result of body.results) {
      expect(result.best_match.name).toBe('Piano');
      expect(result.best_match.min_hourly_rate).toBeLessThanOrEqual(80);
      expect(result.instructor.last_initial).toHaveLength(1);
      expect(result.instructor_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(result.best_match.format_prices.length).toBeGreaterThan(0);
    }
    expect(Object.keys(body.meta)).toEqual(
      expect.arrayContaining([
        'query',
        'parsed',
        'total_results',
        'limit',
        'latency_ms',
        'cache_hit',
        'soft_filtering_used',
        'filters_applied',
      ]),
    );
  });

  it('understands price phrasings, misspellings, plurals and "lessons/teacher/tutor" wording', async () => {
    const cases: Array<[string, string, number | null]> = [
      ['guitar lessons less than $60', 'Guitar', 60],
      ['violin teacher max $90', 'Violin', 90],
      ['spanish tutor $70 or less', 'Spanish', 70],
      ['pianno lessons', 'Piano', null],
      ['drum classes 100 dollars', 'Drums', 100],
      ['math tutors', 'Math', null],
      ['swimming 90 per hour', 'Swimming', 90],
    ];
    for (const [q, service, maxPrice] of cases) {
      const body = (await sandbox.call(`/search?q=${encodeURIComponent(q)}`)).json<SearchBody>();
      expect(body.meta.parsed.max_price, q).toBe(maxPrice);
      expect(body.results.length, q).toBeGreaterThan(0);
      for (const result of body.results) {
        expect(result.best_match.name, q).toBe(service);
        if (maxPrice !== null && !body.meta.soft_filtering_used)
          expect(result.best_match.min_hourly_rate, q).toBeLessThanOrEqual(maxPrice);
      }
    }
  });

  it('relaxes the price by 25% and says so when fewer than five results remain', async () => {
    const body = (await sandbox.call(`/search?q=${encodeURIComponent('chemistry under $31')}`)).json<
      SearchBody & { meta: { soft_filter_message: string } }
    >();
    expect(body.meta.soft_filtering_used).toBe(true);
    expect(body.meta.soft_filter_message).toContain('$38.75');
    for (const result of body.results)
      expect(result.best_match.min_hourly_rate).toBeLessThanOrEqual(31 * 1.25);
  });
});

describe('catalog and availability', () => {
  it('GET /instructors filters by service and price and pages; service_catalog_id is required (422)', async () => {
    const piano = (await sandbox.call(`/search?q=piano`)).json<SearchBody>().results[0]?.best_match
      .service_catalog_id;
    const response = await sandbox.call(`/instructors?service_catalog_id=${piano}&max_price=80&per_page=100`);
    expect(response.status).toBe(200);
    const body = response.json<{ items: Array<Record<string, unknown>>; total: number }>();
    expect(body.total).toBeGreaterThanOrEqual(5);
    const all = (await sandbox.call(`/instructors?service_catalog_id=${piano}&per_page=100`)).json<{
      total: number;
    }>();
    expect(all.total).toBeGreaterThan(body.total);
    // the spec gives no services list per instructor: nothing may come to rely on one
    for (const item of body.items) expect(item).not.toHaveProperty('services');
    expect((await sandbox.call('/instructors?per_page=100')).status).toBe(422);
  });

  it('availability answers without auth and clamps the range to 30 days', async () => {
    const { instructorId } = await findOpenSlot(sandbox);
    const today = new Date().toISOString().slice(0, 10);
    const far = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    const response = await sandbox.call(
      `/public/instructors/${instructorId}/availability?start_date=${today}&end_date=${far}`,
      { noBypass: true },
    );
    expect(response.status).toBe(200);
    const body = response.json<{
      availability_by_date: Record<
        string,
        { available_slots: Array<{ start_time: string; end_time: string }>; is_blackout: boolean }
      >;
    }>();
    const dates = Object.keys(body.availability_by_date);
    expect(dates.length).toBeGreaterThan(10);
    const last = new Date(Date.now() + 29 * 86_400_000).toISOString().slice(0, 10);
    for (const date of dates) expect(date <= last).toBe(true);
    const first = body.availability_by_date[dates[0] as string];
    expect(first?.is_blackout).toBe(false);
    expect(first?.available_slots[0]).toEqual({
      start_time: expect.stringMatching(/^\d\d:\d\d$/),
      end_time: expect.stringMatching(/^\d\d:\d\d$/),
    });
  });
});

describe('auth', () => {
  it('login sets an HttpOnly Secure SameSite=Lax sid cookie whose JWT also works as a bearer token', async () => {
    const { email, password } = sandbox.handle.state.accounts.studentA;
    const response = await sandbox.call('/auth/login', {
      method: 'POST',
      form: { username: email, password },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ requires_2fa: false });
    const cookie = (response.headers['set-cookie'] ?? []).find((c) => c.startsWith('sid='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const token = readSid(response) as string;
    const me = await sandbox.call('/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ email, role: 'student' });
    expect(me.headers['cache-control']).toBe('no-store');
    const viaCookie = await sandbox.call('/auth/me', { headers: { cookie: `sid=${token}` } });
    expect(viaCookie.status).toBe(200);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const wrong = await sandbox.call('/auth/login', {
      method: 'POST',
      form: { username: 'student0900@sandbox.instainstru.test', password: 'nope' },
    });
    const unknown = await sandbox.call('/auth/login', {
      method: 'POST',
      form: { username: 'nobody@sandbox.instainstru.test', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    expect(strip(unknown.json())).toEqual(strip(wrong.json()));
  });

  it('rejects unsigned, weakly signed and garbage tokens', async () => {
    const adminId = (await sandbox.call('/auth/me', { token: await sandbox.login('admin') })).json<{
      id: string;
    }>().id;
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: adminId, typ: 'access', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    const weak = await new SignJWT({ typ: 'access', email: 'admin@sandbox.instainstru.test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(adminId)
      .setIssuer('instainstru-sandbox')
      .setAudience('instainstru')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('changeme'));
    for (const token of [none, weak, 'garbage']) {
      const response = await sandbox.call('/admin/users', { token });
      expect(response.status).toBe(401);
    }
  });

  it('enforces roles: instructor-only and admin-only routes', async () => {
    const student = await sandbox.login('studentA');
    const instructor = await sandbox.login('instructor');
    const admin = await sandbox.login('admin');
    expect((await sandbox.call('/admin/users', { token: student })).status).toBe(403);
    expect((await sandbox.call('/bookings', { method: 'POST', token: instructor, json: {} })).status).toBe(
      403,
    );
    const users = await sandbox.call('/admin/users?per_page=5', { token: admin });
    expect(users.status).toBe(200);
    expect(users.json<{ total: number }>().total).toBeGreaterThan(2000);
    expect((await sandbox.call('/auth/me')).status).toBe(401);
  });

  it('PATCH /users/me changes names only; role and is_admin are ignored', async () => {
    const token = await sandbox.login('studentB');
    const response = await sandbox.call('/users/me', {
      method: 'PATCH',
      token,
      json: { first_name: 'Bea', role: 'admin', is_admin: true },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ first_name: 'Bea', role: 'student' });
    expect((await sandbox.call('/admin/users', { token })).status).toBe(403);
  });
});

describe('CSRF and CORS', () => {
  it('rejects writes without an allowed Origin or Referer', async () => {
    const form = { username: 'a@b.c', password: 'x' };
    const noOrigin = await send(`${sandbox.api}/auth/login`, { method: 'POST', form });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.json().code).toBe('CSRF_ORIGIN_MISMATCH');
    const evil = await send(`${sandbox.api}/auth/login`, {
      method: 'POST',
      form,
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    const referer = await send(`${sandbox.api}/auth/login`, {
      method: 'POST',
      form,
      headers: { referer: `${ORIGIN}/login` },
    });
    expect(referer.status).toBe(401);
  });

  it('allows credentials only for the allowlisted origins', async () => {
    const allowed = await send(`${sandbox.api}/health`, {
      headers: { origin: 'https://app.instainstru.com' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.instainstru.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const evil = await send(`${sandbox.api}/health`, { headers: { origin: 'https://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const nullOrigin = await send(`${sandbox.api}/health`, { headers: { origin: 'null' } });
    expect(nullOrigin.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await send(`${sandbox.api}/bookings`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

describe('bookings', () => {
  it('50 concurrent bookings of one slot by 50 students: exactly one 201, 49 BOOKING_CONFLICT, one row', async () => {
    const slot = await findOpenSlot(sandbox, 20);
    const { emails, password } = sandbox.handle.state.loadTestStudents;
    const tokens = await Promise.all(emails.slice(0, 50).map((email) => sandbox.loginAs(email, password)));
    const body = {
      instructor_id: slot.instructorId,
      instructor_service_id: slot.serviceId,
      booking_date: slot.date,
      start_time: slot.start,
      selected_duration: 60,
      location_type: 'instructor_location',
      timezone: 'America/New_York',
    };
    const responses = await Promise.all(
      tokens.map((token) => sandbox.call('/bookings', { method: 'POST', token, json: body })),
    );
    const statuses = responses.map((r) => r.status);
    const odd = responses
      .filter((r) => r.status !== 201 && r.status !== 409)
      .map((r) => `${r.status} ${r.text.slice(0, 200)}`);
    expect(odd, odd.join('\n')).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.json().code).toBe('BOOKING_CONFLICT');
    const created = responses.find((r) => r.status === 201)?.json();
    expect(created).toMatchObject({
      status: 'PENDING',
      instructor_id: slot.instructorId,
      booking_date: slot.date,
    });
    const rows = await sandbox.sql(
      `SELECT id FROM bookings WHERE instructor_id = $1 AND booking_date = $2 AND start_time = $3::time AND status <> 'CANCELLED'`,
      [slot.instructorId, slot.date, slot.start],
    );
    expect(rows).toHaveLength(1);
  });

  it('a booking is visible to its student, its instructor and admins only; only the owner cancels', async () => {
    const slot = await findOpenSlot(sandbox, 30);
    const owner = await sandbox.login('studentA');
    const other = await sandbox.login('studentB');
    const admin = await sandbox.login('admin');
    const created = await sandbox.call('/bookings', {
      method: 'POST',
      token: owner,
      json: {
        instructor_id: slot.instructorId,
        instructor_service_id: slot.serviceId,
        booking_date: slot.date,
        start_time: slot.start,
        selected_duration: 60,
      },
    });
    expect(created.status).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await sandbox.call(`/bookings/${id}`, { token: owner })).status).toBe(200);
    expect((await sandbox.call(`/bookings/${id}`, { token: admin })).status).toBe(200);
    expect((await sandbox.call(`/bookings/${id}`, { token: other })).status).toBe(404);
    expect((await sandbox.call(`/bookings/${id}/cancel`, { method: 'POST', token: other })).status).toBe(404);
    // the spec has no booking list route: GET /bookings is not a route
    expect((await sandbox.call('/bookings', { token: owner })).status).toBe(404);
    const check = await sandbox.call('/bookings/check-availability', {
      method: 'POST',
      token: other,
      json: {
        instructor_id: slot.instructorId,
        booking_date: slot.date,
        start_time: slot.start,
        selected_duration: 60,
      },
    });
    expect(check.json()).toMatchObject({ available: false });
    const cancelled = await sandbox.call(`/bookings/${id}/cancel`, { method: 'POST', token: owner });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json().status).toBe('CANCELLED');
  });
});

describe('metrics', () => {
  it('needs basic auth and exports the platform metric names', async () => {
    const { username, password } = sandbox.handle.state.metricsAuth;
    expect((await sandbox.call('/metrics/prometheus')).status).toBe(401);
    const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const response = await sandbox.call('/metrics/prometheus', { headers: { authorization: auth } });
    expect(response.status).toBe(200);
    for (const name of [
      'instainstru_http_request_duration_seconds_bucket',
      'instainstru_http_requests_total{method="GET",endpoint="/api/v1/search"',
      'instainstru_http_requests_in_progress',
      'instainstru_db_pool_size{pool_name="default"} 8',
      'instainstru_db_pool_checked_out',
      'instainstru_db_pool_checked_in',
      'instainstru_db_pool_overflow',
      'instainstru_db_pool_usage_percent',
      'instainstru_rl_decisions_total',
      'instainstru_login_attempts_total{result="success"}',
      'instainstru_nl_search_latency_ms_bucket',
      'instainstru_booking_lock_operations_total{action="acquire",outcome="success"}',
    ]) {
      expect(response.text, name).toContain(name);
    }
    const supabase = `${sandbox.handle.state.baseUrl}/customer/v1/privileged/metrics`;
    expect((await sandbox.call(supabase)).status).toBe(401);
    const db = await sandbox.call(supabase, {
      headers: { authorization: `Basic ${Buffer.from(`service_role:${password}`).toString('base64')}` },
    });
    expect(db.status).toBe(200);
    expect(db.text).toMatch(/pg_stat_database_numbackends\{datname="instainstru"\} \d+/);
    expect(db.text).toMatch(/pg_settings_max_connections \d+/);
  });
});

describe('rate limiting', () => {
  it('the 151st request in a minute from one IP gets 429 with Retry-After; Remaining counts down; the bypass header skips', async () => {
    const localAddress = '127.0.0.9';
    const started = Date.now();
    const remaining: number[] = [];
    for (let i = 0; i < 150; i++) {
      const response = await sandbox.call('/auth/me', { noBypass: true, localAddress });
      expect(response.status).toBe(401);
      remaining.push(Number(response.headers['x-ratelimit-remaining']));
      expect(response.headers['x-ratelimit-limit']).toBe('150');
    }
    expect(remaining.slice(0, 3)).toEqual([149, 148, 147]);
    expect(remaining.at(-1)).toBe(0);
    const limited = await sandbox.call('/auth/me', { noBypass: true, localAddress });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    const elapsed = Math.ceil((Date.now() - started) / 1000);
    expect(retryAfter).toBeGreaterThanOrEqual(60 - elapsed - 1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', retry_after: retryAfter });
    expect(limited.json().detail).toEqual(expect.any(String));
    const spoofed = await sandbox.call('/auth/me', {
      noBypass: true,
      localAddress,
      headers: { 'x-forwarded-for': '198.51.100.7', 'cf-connecting-ip': '198.51.100.8' },
    });
    expect(spoofed.status).toBe(429);
    const bypassed = await sandbox.call('/auth/me', { localAddress });
    expect(bypassed.status).toBe(401);
    const health = await sandbox.call('/health', { noBypass: true, localAddress });
    expect(health.status).toBe(200);
  });

  it("login's per-email limit holds across source IPs", async () => {
    const email = 'student0777@sandbox.instainstru.test';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await sandbox.call('/auth/login', {
        method: 'POST',
        noBypass: true,
        localAddress: `127.0.1.${i + 1}`,
        form: { username: email, password: 'wrong' },
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.json().code).toBe('RATE_LIMIT_EXCEEDED');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('reset', () => {
  it('restores the seed: bookings made since start are gone', async () => {
    const before = await sandbox.sql<{ n: string }>(
      `SELECT count(*) AS n FROM bookings WHERE created_at > now() - interval '1 hour' AND status = 'PENDING'`,
    );
    expect(Number(before[0]?.n)).toBeGreaterThan(0);
    await sandbox.handle.reset();
    const after = await sandbox.sql<{ n: string }>(
      `SELECT count(*) AS n FROM bookings WHERE status = 'PENDING'`,
    );
    expect(Number(after[0]?.n)).toBe(0);
    const total = await sandbox.sql<{ n: string }>('SELECT count(*) AS n FROM bookings');
    expect(Number(total[0]?.n)).toBeGreaterThanOrEqual(20_000);
    expect((await sandbox.call('/search?q=piano')).status).toBe(200);
  });
});
