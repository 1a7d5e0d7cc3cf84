// The spec platform's own contract tests: every route of platform.md against a real cluster and a real server.
import { decodeJwt, SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  BOOKING_LOCK_SQL,
  getBookingLockKey,
  type SpecPlatform,
  startSpecPlatform,
} from './index.js';

let platform: SpecPlatform;
let db: pg.Client;
const tokens = new Map<string, string>();

const PROBLEM_KEYS = ['code', 'detail', 'errors', 'instance', 'request_id', 'status', 'title', 'type'];
const BOOKING_KEYS = [
  'booking_date',
  'end_time',
  'id',
  'instructor_id',
  'instructor_service_id',
  'start_time',
  'status',
  'student_id',
];

interface CallOptions {
  method?: string;
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  bypass?: boolean;
}

async function call(path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  if (options.bypass) headers['X-Rate-Limit-Bypass'] = platform.bypassToken;
  const response = await fetch(`${platform.baseUrl}${path}`, {
    method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON a route answered
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

function postLogin(account: Account, headers: Record<string, string> = {}) {
  return fetch(`${platform.apiBase}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ username: account.email, password: account.password }),
  });
}

/** A cached access token (the sid cookie), logged in with the bypass header. */
async function logIn(account: Account): Promise<string> {
  const cached = tokens.get(account.email);
  if (cached) return cached;
  const response = await postLogin(account, { 'X-Rate-Limit-Bypass': platform.bypassToken });
  expect(response.status).toBe(200);
  const sid = response.headers
    .getSetCookie()
    .find((c) => c.startsWith('sid='))
    ?.split(';')[0]
    ?.slice(4);
  expect(sid).toBeTruthy();
  tokens.set(account.email, sid!);
  return sid!;
}

const student = (n: number) => platform.accounts.students[n]!;

/** The first Monday to Friday at least `daysAhead` days from today (UTC). */
function nextWeekday(daysAhead: number): string {
  let at = Date.now() + daysAhead * 86_400_000;
  while ([0, 6].includes(new Date(at).getUTCDay())) at += 86_400_000;
  return new Date(at).toISOString().slice(0, 10);
}

async function getPianoCatalogId(): Promise<string> {
  return (await db.query("SELECT id FROM service_catalog WHERE slug = 'piano'")).rows[0].id;
}

/** An instructor's service that offers 60 minutes. */
async function getService(instructorEmail: string) {
  const { rows } = await db.query(
    `SELECT s.id AS service_id, u.id AS instructor_id FROM instructor_services s JOIN users u ON u.id = s.instructor_id
     WHERE u.email = $1 AND 60 = ANY(s.duration_options) ORDER BY s.id LIMIT 1`,
    [instructorEmail],
  );
  return rows[0] as { service_id: string; instructor_id: string };
}

function bookingBody(
  service: { service_id: string; instructor_id: string },
  date: string,
  startTime: string,
) {
  return {
    instructor_id: service.instructor_id,
    instructor_service_id: service.service_id,
    booking_date: date,
    start_time: startTime,
    selected_duration: 60,
    location_type: 'online',
    timezone: 'America/New_York',
  };
}

beforeAll(async () => {
  platform = await startSpecPlatform();
  db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await platform?.stop();
});

describe('spec platform: health, docs, errors', () => {
  it('health answers without the database fields beyond the spec, ready runs SELECT 1', async () => {
    const health = await call('/api/v1/health');
    expect(health.status).toBe(200);
    expect(Object.keys(health.body).sort()).toEqual([
      'environment',
      'git_sha',
      'service',
      'status',
      'timestamp',
      'version',
    ]);
    expect(health.body.status).toBe('healthy');
    expect(health.headers.get('x-ratelimit-limit')).toBe('150');
    expect((await call('/api/v1/ready')).status).toBe(200);
  });

  it('exports the platform metrics on a public route', async () => {
    await call('/api/v1/search?q=piano');
    const metrics = await call('/api/v1/metrics/prometheus');
    expect(metrics.status).toBe(200);
    for (const name of [
      'instainstru_http_request_duration_seconds_bucket',
      'instainstru_http_requests_total',
      'instainstru_http_requests_in_progress',
      'instainstru_db_pool_size{pool_name="api"} 8',
      'instainstru_db_pool_checked_out{pool_name="api"}',
      'instainstru_db_pool_checked_in{pool_name="api"}',
      'instainstru_db_pool_overflow{pool_name="api"}',
      'instainstru_db_pool_usage_percent{pool_name="api"}',
    ])
      expect(metrics.body).toContain(name);
    expect(metrics.body).toMatch(
      /instainstru_http_requests_total\{method="GET",endpoint="\/api\/v1\/search",status_code="200"\} \d+/,
    );
  });

  it('serves /docs, /redoc, an openapi.json listing exactly its routes, and a 500 on /sentry-debug', async () => {
    expect((await call('/docs')).status).toBe(200);
    expect((await call('/redoc')).status).toBe(200);
    const openapi = await call('/openapi.json');
    expect(Object.keys(openapi.body.paths).sort()).toEqual([
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/api/v1/bookings',
      '/api/v1/bookings/check-availability',
      '/api/v1/bookings/{id}',
      '/api/v1/bookings/{id}/cancel',
      '/api/v1/health',
      '/api/v1/instructors',
      '/api/v1/metrics/prometheus',
      '/api/v1/public/instructors/{id}/availability',
      '/api/v1/ready',
      '/api/v1/search',
      '/docs',
      '/openapi.json',
      '/redoc',
      '/sentry-debug',
    ]);
    const debug = await call('/sentry-debug');
    expect(debug.status).toBe(500);
    expect(debug.body.code).toBe('INTERNAL_ERROR');
  });

  it('answers 404 for an unknown route and 405 for a known path with the wrong method, problem-style', async () => {
    const missing = await call('/api/v1/bookings/list/everything');
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body).sort()).toEqual(PROBLEM_KEYS);
    expect(missing.body).toMatchObject({ status: 404, instance: '/api/v1/bookings/list/everything' });
    const wrong = await call('/api/v1/bookings', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(Object.keys(wrong.body).sort()).toEqual(PROBLEM_KEYS);
    expect((await call('/api/v1/search', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('spec platform: auth', () => {
  it('logs in with the form, sets sid and rid cookies, and /auth/me reads Bearer or cookie', async () => {
    const response = await postLogin(student(0), { 'X-Rate-Limit-Bypass': platform.bypassToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ requires_2fa: false });
    const cookies = response.headers.getSetCookie();
    const sid = cookies.find((c) => c.startsWith('sid='))!;
    expect(sid).toMatch(/; HttpOnly/);
    expect(sid).toMatch(/; SameSite=Lax/);
    expect(sid).toMatch(/; Max-Age=43200/);
    expect(cookies.find((c) => c.startsWith('rid='))).toMatch(/; Path=\/api\/v1\/auth\/refresh/);
    const token = sid.split(';')[0]!.slice(4);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ email: student(0).email, typ: 'access' });
    expect(claims.sub).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(claims.exp! - claims.iat!).toBe(43_200);
    expect(claims.jti).toBeTruthy();
    const me = await call('/api/v1/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      id: claims.sub,
      email: student(0).email,
      first_name: 'Student',
      last_name: 'S001',
      roles: ['student'],
    });
    const byCookie = await call('/api/v1/auth/me', { headers: { Cookie: `sid=${token}` } });
    expect(byCookie.body.id).toBe(claims.sub);
  });

  it('refuses a wrong password, a missing token, a foreign signature and an unsigned token', async () => {
    const wrong = await postLogin(
      { ...student(1), password: 'not-it' },
      { 'X-Rate-Limit-Bypass': platform.bypassToken },
    );
    expect(wrong.status).toBe(401);
    expect((await call('/api/v1/auth/me')).status).toBe(401);
    const claims = decodeJwt(await logIn(student(1)));
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret'));
    expect((await call('/api/v1/auth/me', { token: forged })).status).toBe(401);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await call('/api/v1/auth/me', { token: unsigned })).status).toBe(401);
    const refresh = await new SignJWT({ ...claims, typ: 'refresh' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(platform.jwtSecret));
    expect((await call('/api/v1/auth/me', { token: refresh })).status).toBe(401);
  });

  it('limits logins to 5 per minute per email and 20 per minute per IP', async () => {
    const ip = { 'X-Forwarded-For': '198.51.100.10' };
    const target = { ...student(2), password: 'wrong' };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postLogin(target, ip)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const otherIp = { 'X-Forwarded-For': '198.51.100.11' };
    const perIp: number[] = [];
    for (let i = 0; i < 21; i++)
      perIp.push((await postLogin({ email: `nobody${i}@spec.test`, password: 'x' }, otherIp)).status);
    expect(perIp.slice(0, 20).every((s) => s === 401)).toBe(true);
    const limited = await postLogin({ email: 'nobody-else@spec.test', password: 'x' }, otherIp);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('spec platform: search', () => {
  it('"piano under $80" returns piano instructors only, each at or under $80', async () => {
    const pianoId = await getPianoCatalogId();
    const { rows } = await db.query(
      `SELECT count(DISTINCT s.instructor_id)::int AS n FROM instructor_services s
       WHERE s.service_catalog_id = $1 AND s.is_active
         AND (SELECT min(hourly_rate) FROM service_format_pricing WHERE instructor_service_id = s.id) <= 80`,
      [pianoId],
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(5);
    const search = await call(`/api/v1/search?q=${encodeURIComponent('piano under $80')}&limit=50`);
    expect(search.status).toBe(200);
    expect(search.body.meta.parsed).toEqual({ service_query: 'piano', max_price: 80, location: null });
    expect(search.body.meta.soft_filtering_used).toBe(false);
    expect(search.body.meta.total_results).toBe(rows[0].n);
    expect(search.body.results).toHaveLength(rows[0].n);
    for (const result of search.body.results) {
      expect(result.best_match.service_catalog_id).toBe(pianoId);
      expect(result.best_match.min_hourly_rate).toBeLessThanOrEqual(80);
      expect(result.other_matches).toEqual([]);
    }
  });

  it('answers the spec shape exactly, money as numbers', async () => {
    const search = await call('/api/v1/search?q=guitar&limit=3');
    expect(Object.keys(search.body).sort()).toEqual(['meta', 'results']);
    expect(Object.keys(search.body.meta).sort()).toEqual([
      'cache_hit',
      'filters_applied',
      'latency_ms',
      'limit',
      'parsed',
      'query',
      'soft_filter_message',
      'soft_filtering_used',
      'total_results',
    ]);
    expect(search.body.results.length).toBeGreaterThan(0);
    expect(search.body.results.length).toBeLessThanOrEqual(3);
    const [first] = search.body.results;
    expect(Object.keys(first).sort()).toEqual([
      'best_match',
      'instructor',
      'instructor_id',
      'other_matches',
      'rating',
      'relevance_score',
    ]);
    expect(Object.keys(first.instructor).sort()).toEqual(['first_name', 'id', 'last_initial']);
    expect(Object.keys(first.rating).sort()).toEqual(['average', 'count']);
    expect(Object.keys(first.best_match).sort()).toEqual([
      'format_prices',
      'min_hourly_rate',
      'name',
      'relevance_score',
      'service_catalog_id',
      'service_id',
    ]);
    expect(typeof first.best_match.min_hourly_rate).toBe('number');
    expect(typeof first.best_match.format_prices[0].hourly_rate).toBe('number');
    const service = await db.query('SELECT instructor_id FROM instructor_services WHERE id = $1', [
      first.best_match.service_id,
    ]);
    expect(service.rows[0].instructor_id).toBe(first.instructor_id);
  });

  it('relaxes the price by 1.25 when fewer than 5 results remain, and says so', async () => {
    const search = await call(`/api/v1/search?q=${encodeURIComponent('piano under $50')}`);
    expect(search.body.meta.soft_filtering_used).toBe(true);
    expect(search.body.meta.soft_filter_message).toEqual(expect.any(String));
    const prices = search.body.results.map(
      (r: { best_match: { min_hourly_rate: number } }) => r.best_match.min_hourly_rate,
    );
    expect(prices.some((p: number) => p > 50)).toBe(true);
    expect(prices.every((p: number) => p <= 62.5)).toBe(true);
  });

  it('answers a price-only query with any service under the price, and a query for no service with nothing', async () => {
    const search = await call(`/api/v1/search?q=${encodeURIComponent('lessons under $60')}&limit=50`);
    expect(search.body.meta.parsed).toEqual({ service_query: 'lessons', max_price: 60, location: null });
    expect(search.body.meta.soft_filtering_used).toBe(false);
    const catalogIds = new Set(
      search.body.results.map(
        (r: { best_match: { service_catalog_id: string } }) => r.best_match.service_catalog_id,
      ),
    );
    expect(catalogIds.size).toBeGreaterThan(1);
    for (const result of search.body.results)
      expect(result.best_match.min_hourly_rate).toBeLessThanOrEqual(60);
    const unknown = await call('/api/v1/search?q=underwater%20basket%20weaving');
    expect(unknown.status).toBe(200);
    expect(unknown.body.results).toEqual([]);
    expect(unknown.body.meta.total_results).toBe(0);
  });

  it('validates q (1-500) and limit (1-50) with 422', async () => {
    expect((await call('/api/v1/search')).status).toBe(422);
    expect((await call(`/api/v1/search?q=${'a'.repeat(501)}`)).status).toBe(422);
    expect((await call('/api/v1/search?q=piano&limit=51')).status).toBe(422);
    const zero = await call('/api/v1/search?q=piano&limit=0');
    expect(zero.status).toBe(422);
    expect(zero.body.errors[0].loc).toEqual(['query', 'limit']);
  });
});

describe('spec platform: instructors and availability', () => {
  it('needs service_catalog_id (422) and pages the summary fields only', async () => {
    const missing = await call('/api/v1/instructors');
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].loc).toEqual(['query', 'service_catalog_id']);
    const pianoId = await getPianoCatalogId();
    expect((await call(`/api/v1/instructors?service_catalog_id=${pianoId}&per_page=101`)).status).toBe(422);
    const page = await call(
      `/api/v1/instructors?service_catalog_id=${pianoId}&max_price=80&per_page=2&page=2`,
    );
    expect(page.status).toBe(200);
    expect(Object.keys(page.body).sort()).toEqual(['has_next', 'items', 'page', 'per_page', 'total']);
    expect(page.body).toMatchObject({ page: 2, per_page: 2, total: 5, has_next: true });
    expect(Object.keys(page.body.items[0]).sort()).toEqual(['first_name', 'id', 'last_initial']);
    const cheap = await call(`/api/v1/instructors?service_catalog_id=${pianoId}&min_price=100`);
    expect(cheap.body.total).toBe(2);
  });

  it('lists weekday slots, clamps the range to 30 days and marks blackouts', async () => {
    const { instructor_id } = await getService('instructor02@spec.test');
    const start = nextWeekday(3);
    const end = new Date(Date.parse(start) + 40 * 86_400_000).toISOString().slice(0, 10);
    const blackout = nextWeekday(10);
    await db.query('INSERT INTO blackout_dates (instructor_id, date) VALUES ($1, $2)', [
      instructor_id,
      blackout,
    ]);
    const availability = await call(
      `/api/v1/public/instructors/${instructor_id}/availability?start_date=${start}&end_date=${end}`,
    );
    expect(availability.status).toBe(200);
    expect(availability.body.instructor_id).toBe(instructor_id);
    const days = availability.body.availability_by_date;
    expect(Object.keys(days)).toHaveLength(30);
    expect(days[start]).toEqual({
      date: start,
      available_slots: [{ start_time: '09:00', end_time: '17:00' }],
      is_blackout: false,
    });
    expect(days[blackout]).toEqual({ date: blackout, available_slots: [], is_blackout: true });
    const saturday = Object.keys(days).find((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 6)!;
    expect(days[saturday].available_slots).toEqual([]);
    expect((await call(`/api/v1/public/instructors/${instructor_id}/availability`)).status).toBe(422);
    const unknown = `/api/v1/public/instructors/01ARZ3NDEKTSV4RRFFQ69G5FAV/availability?start_date=${start}&end_date=${start}`;
    expect((await call(unknown)).status).toBe(404);
  });
});

describe('spec platform: bookings', () => {
  it('books (201, PENDING), shows it to its student and instructor only, and cancels', async () => {
    const service = await getService('instructor@spec.test');
    const date = nextWeekday(4);
    const token = await logIn(student(3));
    const created = await call('/api/v1/bookings', {
      token,
      json: { ...bookingBody(service, date, '10:00'), student_note: 'ignored' },
      bypass: true,
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(BOOKING_KEYS);
    expect(created.body).toMatchObject({
      instructor_id: service.instructor_id,
      instructor_service_id: service.service_id,
      booking_date: date,
      start_time: '10:00:00',
      end_time: '11:00:00',
      status: 'PENDING',
    });
    const id = created.body.id;
    expect((await call(`/api/v1/bookings/${id}`, { token })).body.id).toBe(id);
    const instructorToken = await logIn(platform.accounts.instructor);
    expect((await call(`/api/v1/bookings/${id}`, { token: instructorToken })).status).toBe(200);
    const other = await logIn(student(4));
    expect((await call(`/api/v1/bookings/${id}`, { token: other })).status).toBe(404);
    expect((await call(`/api/v1/bookings/${id}/cancel`, { method: 'POST', token: other })).status).toBe(404);

    const check = (t: string) =>
      call('/api/v1/bookings/check-availability', { token: t, json: bookingBody(service, date, '10:30') });
    const taken = await check(other);
    expect(taken.status).toBe(200);
    expect(taken.body).toEqual({ available: false, reason: expect.any(String) });
    const availability = await call(
      `/api/v1/public/instructors/${service.instructor_id}/availability?start_date=${date}&end_date=${date}`,
    );
    expect(availability.body.availability_by_date[date].available_slots).toEqual([
      { start_time: '09:00', end_time: '10:00' },
      { start_time: '11:00', end_time: '17:00' },
    ]);

    const cancelled = await call(`/api/v1/bookings/${id}/cancel`, { method: 'POST', token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ id, status: 'CANCELLED' });
    expect((await check(other)).body).toEqual({ available: true, reason: null });
  });

  it('needs a student token: 401 without, 403 for an instructor', async () => {
    const service = await getService('instructor@spec.test');
    const body = bookingBody(service, nextWeekday(5), '12:00');
    expect((await call('/api/v1/bookings', { json: body })).status).toBe(401);
    const instructorToken = await logIn(platform.accounts.instructor);
    expect((await call('/api/v1/bookings', { token: instructorToken, json: body })).status).toBe(403);
    const token = await logIn(student(5));
    const invalid = await call('/api/v1/bookings', { token, json: { ...body, selected_duration: 'long' } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0].loc).toEqual(['body', 'selected_duration']);
  });

  it('50 concurrent bookings of one slot: exactly one 201, 49 409 BOOKING_CONFLICT', async () => {
    const service = await getService('instructor03@spec.test');
    const date = nextWeekday(6);
    const racers = platform.accounts.students.slice(0, 50);
    const racerTokens: string[] = [];
    for (let i = 0; i < racers.length; i += 10)
      racerTokens.push(...(await Promise.all(racers.slice(i, i + 10).map((s) => logIn(s)))));
    const answers = await Promise.all(
      racerTokens.map((token) =>
        call('/api/v1/bookings', { token, json: bookingBody(service, date, '14:00'), bypass: true }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const conflicts = answers.filter((a) => a.status === 409 && a.body.code === 'BOOKING_CONFLICT');
    expect(conflicts).toHaveLength(49);
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM bookings WHERE instructor_id = $1 AND booking_date = $2 AND status <> 'CANCELLED'",
      [service.instructor_id, date],
    );
    expect(rows[0].n).toBe(1);
  });

  it('waits on the advisory lock of (instructor, date) before it checks for conflicts', async () => {
    const service = await getService('instructor04@spec.test');
    const date = nextWeekday(7);
    const token = await logIn(student(6));
    const holder = new pg.Client({ connectionString: platform.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(BOOKING_LOCK_SQL, [getBookingLockKey(service.instructor_id, date)]);
      const pending = call('/api/v1/bookings', {
        token,
        json: bookingBody(service, date, '09:00'),
        bypass: true,
      });
      let waiting = 0;
      for (let i = 0; i < 200 && waiting === 0; i++) {
        const { rows } = await db.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        waiting = rows[0].n;
        if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(waiting).toBe(1);
      await holder.query('COMMIT');
      expect((await pending).status).toBe(201);
    } finally {
      await holder.end();
    }
  });

  it('leaves PENDING overlaps to the lock; the exclusion constraint refuses overlapping confirmed bookings', async () => {
    const service = await getService('instructor05@spec.test');
    const studentId = (await db.query('SELECT id FROM users WHERE email = $1', [student(7).email])).rows[0]
      .id;
    const insert = (id: string, status: string, start: string, end: string) =>
      db.query(
        `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
           duration_minutes, location_type, timezone, hourly_rate, total_price, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 60, 'online', 'UTC', 50, 50, $8)`,
        [id, studentId, service.instructor_id, service.service_id, '2030-01-07', start, end, status],
      );
    await insert('01JZZZZZZZZZZZZZZZZZZZZZZ1', 'PENDING', '10:00', '11:00');
    await insert('01JZZZZZZZZZZZZZZZZZZZZZZ2', 'PENDING', '10:30', '11:30');
    await insert('01JZZZZZZZZZZZZZZZZZZZZZZ3', 'CONFIRMED', '13:00', '14:00');
    await expect(insert('01JZZZZZZZZZZZZZZZZZZZZZZ4', 'CONFIRMED', '13:30', '14:30')).rejects.toMatchObject({
      code: '23P01',
    });
  });

  it('limits POST /bookings to 20 per minute per student unless the bypass header is sent', async () => {
    const token = await logIn(student(8));
    const ip = { 'X-Forwarded-For': '198.51.100.20' };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await call('/api/v1/bookings', { token, json: {}, headers: ip })).status);
    expect(statuses.slice(0, 20).every((s) => s === 422)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((await call('/api/v1/bookings', { token, json: {}, headers: ip, bypass: true })).status).toBe(422);
  });
});

describe('spec platform: global limit, CORS', () => {
  it('limits 150 requests per minute per client IP (CF-Connecting-IP, else X-Forwarded-For), health exempt', async () => {
    const ip = { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' };
    let last = await call('/api/v1/search?q=piano', { headers: ip });
    expect(last.headers.get('x-ratelimit-remaining')).toBe('149');
    for (let i = 1; i < 150; i++) last = await call('/api/v1/nothing-here', { headers: ip });
    expect(last.status).toBe(404);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    const limited = await call('/api/v1/search?q=piano', { headers: ip });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      detail: expect.any(String),
      code: 'RATE_LIMIT_EXCEEDED',
      retry_after: Number(limited.headers.get('retry-after')),
    });
    expect(limited.headers.get('x-ratelimit-limit')).toBe('150');
    expect((await call('/api/v1/health', { headers: ip })).status).toBe(200);
    expect((await call('/api/v1/search?q=piano', { headers: ip, bypass: true })).status).toBe(200);
    const viaCloudflare = { ...ip, 'CF-Connecting-IP': '203.0.113.8' };
    expect((await call('/api/v1/search?q=piano', { headers: viaCloudflare })).status).toBe(200);
  });

  it('answers CORS with credentials for the frontend origin only', async () => {
    const allowed = await call('/api/v1/health', { headers: { Origin: platform.frontendOrigin } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(platform.frontendOrigin);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('vary')).toBe('Origin');
    const foreign = await call('/api/v1/health', { headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = (origin: string) =>
      call('/api/v1/bookings', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    const answered = await preflight(platform.frontendOrigin);
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe(platform.frontendOrigin);
    expect(answered.headers.get('x-ratelimit-limit')).toBe('150');
    expect((await preflight('https://preflight-probe.vercel.app')).status).toBe(400);
    expect(allowed.headers.get('strict-transport-security')).toBeNull();
  });
});
