// The weakness switches over real HTTP: each one re-creates exactly the flaw its gate must find.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from './fixtures/http.js';
import { findOpenSlot, startTestSandbox, type TestSandbox } from './fixtures/sandbox.js';
import { createWeaknesses, validateWeaknesses, weaknessNames } from './weaknesses.js';

let weak: TestSandbox;
let open: TestSandbox;

beforeAll(async () => {
  [weak, open] = await Promise.all([
    startTestSandbox({
      weaken: [
        'nls-category-match',
        'double-booking',
        'rate-limit-ip-spoof',
        'cors-reflect-origin',
        'jwt-alg-none',
        'verbose-errors',
        'sqli-search',
        'idor-bookings',
        'mass-assignment',
        'docs-exposed',
        'debug-route',
        'metrics-public',
      ],
    }),
    startTestSandbox({
      weaken: ['jwt-weak-secret', 'jwt-no-expiry-check', 'no-rate-limit', 'no-login-throttle'],
    }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([weak?.stop(), open?.stop()]);
});

describe('the switch registry', () => {
  it('rejects unknown switches naming them and listing the valid ones', () => {
    expect(() => validateWeaknesses(['double-booking', 'no-such-thing'])).toThrow(/no-such-thing/);
    try {
      createWeaknesses(['nope']);
    } catch (error) {
      expect((error as { code: string }).code).toBe('E_USAGE');
      expect((error as { hint: string }).hint).toContain('nls-category-match');
    }
    expect(weaknessNames).toHaveLength(17);
  });
});

describe('nls-category-match', () => {
  it('"piano under $80" returns non-piano Music services (the platform bug)', async () => {
    const body = (await weak.call(`/search?q=${encodeURIComponent('piano under $80')}`)).json<{
      results: Array<{ best_match: { name: string } }>;
    }>();
    const names = new Set(body.results.map((r) => r.best_match.name));
    expect(names.has('Piano')).toBe(true);
    expect([...names].some((n) => ['Guitar', 'Violin', 'Drums', 'Voice'].includes(n))).toBe(true);
  });
});

describe('double-booking', () => {
  it('lets more than one of 50 concurrent bookings of one slot through', async () => {
    const slot = await findOpenSlot(weak, 40);
    const { emails, password } = weak.handle.state.loadTestStudents;
    const tokens = await Promise.all(emails.slice(0, 50).map((email) => weak.loginAs(email, password)));
    const body = {
      instructor_id: slot.instructorId,
      instructor_service_id: slot.serviceId,
      booking_date: slot.date,
      start_time: slot.start,
      selected_duration: 60,
    };
    const responses = await Promise.all(
      tokens.map((token) => weak.call('/bookings', { method: 'POST', token, json: body })),
    );
    const created = responses.filter((r) => r.status === 201).length;
    const statuses = responses.map((r) => r.status).join(',');
    expect(created, statuses).toBeGreaterThan(1);
    const rows = await weak.sql(
      `SELECT 1 FROM bookings WHERE instructor_id = $1 AND booking_date = $2 AND start_time = $3::time`,
      [slot.instructorId, slot.date, slot.start],
    );
    expect(rows.length).toBe(created);
  });
});

describe('rate limits', () => {
  it('rate-limit-ip-spoof: X-Forwarded-For picks the client IP, so the global limit never trips while login per-email still holds', async () => {
    for (let i = 0; i < 160; i++) {
      const response = await weak.call('/auth/me', {
        noBypass: true,
        headers: { 'x-forwarded-for': `10.0.${Math.floor(i / 200)}.${i % 200}` },
      });
      expect(response.status).not.toBe(429);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await weak.call('/auth/login', {
        method: 'POST',
        noBypass: true,
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
        form: { username: 'student0555@sandbox.instainstru.test', password: 'wrong' },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('no-rate-limit and no-login-throttle: nothing is ever limited', async () => {
    for (let i = 0; i < 160; i++) expect((await open.call('/auth/me', { noBypass: true })).status).toBe(401);
    for (let i = 0; i < 8; i++) {
      const response = await open.call('/auth/login', {
        method: 'POST',
        noBypass: true,
        form: { username: 'student0556@sandbox.instainstru.test', password: 'wrong' },
      });
      expect(response.status).toBe(401);
    }
  });
});

describe('CORS, docs and metrics', () => {
  it('cors-reflect-origin reflects any origin, null included, with credentials', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const response = await send(`${weak.api}/health`, { headers: { origin } });
      expect(response.headers['access-control-allow-origin']).toBe(origin);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    }
  });

  it('docs-exposed serves /docs, /redoc and /openapi.json; debug-route 500s; metrics-public needs no auth', async () => {
    const base = weak.handle.state.baseUrl;
    expect((await send(`${base}/docs`)).status).toBe(200);
    expect((await send(`${base}/redoc`)).status).toBe(200);
    const spec = await send(`${base}/openapi.json`);
    expect(Object.keys(spec.json<{ paths: Record<string, unknown> }>().paths)).toContain(
      '/api/v1/bookings/{id}',
    );
    const debug = await send(`${base}/sentry-debug`);
    expect(debug.status).toBe(500);
    expect(debug.json<{ stack: string }>().stack).toContain('division by zero');
    expect((await send(`${weak.api}/metrics/prometheus`)).status).toBe(200);
    expect((await send(`${base}/customer/v1/privileged/metrics`)).status).toBe(200);
  });
});

describe('JWT', () => {
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('jwt-alg-none accepts unsigned tokens in any case spelling', async () => {
    const admin = (await weak.call('/auth/me', { token: await weak.login('admin') })).json<{ id: string }>();
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = `${encode({ alg, typ: 'JWT' })}.${encode({ sub: admin.id, typ: 'access', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      expect((await weak.call('/admin/users', { token })).status).toBe(200);
    }
  });

  it('jwt-weak-secret + jwt-no-expiry-check accept an expired token signed with "changeme"', async () => {
    const admin = (await open.call('/auth/me', { token: await open.login('admin') })).json<{ id: string }>();
    const token = await new SignJWT({ typ: 'access', email: 'admin@sandbox.instainstru.test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(admin.id)
      .setIssuer('instainstru-sandbox')
      .setAudience('instainstru')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode('changeme'));
    expect((await open.call('/admin/users', { token })).status).toBe(200);
  });
});

describe('access control', () => {
  it("idor-bookings lets any student read and cancel another student's booking", async () => {
    const victim = await weak.login('studentA');
    const attacker = await weak.login('studentB');
    const slot = await findOpenSlot(weak, 40);
    const created = await weak.call('/bookings', {
      method: 'POST',
      token: victim,
      json: {
        instructor_id: slot.instructorId,
        instructor_service_id: slot.serviceId,
        booking_date: slot.date,
        start_time: slot.start,
        selected_duration: 60,
      },
    });
    expect(created.status).toBe(201);
    const target = created.json<{ id: string }>();
    expect((await weak.call(`/bookings/${target?.id}`, { token: attacker })).status).toBe(200);
    const cancel = await weak.call(`/bookings/${target?.id}/cancel`, { method: 'POST', token: attacker });
    expect(cancel.status).toBe(200);
  });

  it('mass-assignment lets PATCH /users/me set the role and POST /bookings set status and price', async () => {
    const token = await weak.login('studentB');
    const patched = await weak.call('/users/me', { method: 'PATCH', token, json: { is_admin: true } });
    expect(patched.json().role).toBe('admin');
    expect((await weak.call('/admin/users', { token })).status).toBe(200);
    await weak.call('/users/me', { method: 'PATCH', token, json: { role: 'student' } });
    const slot = await findOpenSlot(weak, 50);
    const booking = await weak.call('/bookings', {
      method: 'POST',
      token: await weak.login('studentA'),
      json: {
        instructor_id: slot.instructorId,
        instructor_service_id: slot.serviceId,
        booking_date: slot.date,
        start_time: slot.start,
        selected_duration: 60,
        status: 'CONFIRMED',
        hourly_rate: 1,
      },
    });
    expect(booking.status).toBe(201);
    expect(booking.json()).toMatchObject({ status: 'CONFIRMED', hourly_rate: 1 });
  });
});

describe('sqli-search and verbose-errors', () => {
  const search = (region: string) => weak.call(`/search?q=piano&region=${encodeURIComponent(region)}`);

  it('error-based: a quote breaks the SQL and the database error comes back', async () => {
    const response = await search("brooklyn'");
    expect(response.status).toBe(500);
    expect(response.json().detail).toMatch(/syntax error|unterminated/i);
  });

  it('boolean-based: a true condition returns rows, a false one none', async () => {
    const truthy = (await search("x' OR '1'='1")).json<{ results: unknown[] }>();
    const falsy = (await search("x' AND '1'='2")).json<{ results: unknown[] }>();
    expect(truthy.results.length).toBeGreaterThan(0);
    expect(falsy.results).toHaveLength(0);
  });

  it('time-based: pg_sleep delays the answer', async () => {
    const started = Date.now();
    const response = await search("x' OR (SELECT 1 FROM pg_sleep(1.5)) = 1 OR '1'='2");
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('verbose-errors puts the stack and the SQL into 500 responses', async () => {
    const response = await weak.call(`/search?q=piano&subcategory_id=${encodeURIComponent("'")}`);
    expect(response.status).toBe(500);
    const body = response.json<{ detail: string; stack: string; sql: string }>();
    expect(body.detail).toMatch(/unterminated quoted string/);
    expect(body.stack).toContain('at ');
    expect(body.sql).toContain('FROM instructor_services');
  });
});
