import { describe, expect, it } from 'vitest';
import { redact, redactUrl, redactValue, registerSecret } from './redact.js';

describe('redact', () => {
  it('masks passwords in connection URLs', () => {
    expect(redact('connect postgresql://admin:s3cr3t@db.example.com:5432/app failed')).toBe(
      'connect postgresql://admin:***@db.example.com:5432/app failed',
    );
    expect(redactUrl('postgresql://u:p%40ss@h/db?sslmode=require&password=x')).not.toMatch(
      /p%40ss|password=x/,
    );
  });

  it('masks bearer tokens, JWTs and cookies', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const text = `Authorization: Bearer ${jwt}\nSet-Cookie: sid=${jwt}; HttpOnly\nbody ${jwt}`;
    const out = redact(text);
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('dozjg');
    expect(out).toContain('sid=***');
  });

  it('masks keys: age identities, AWS keys, Slack webhooks, api keys in query strings', () => {
    expect(redact('AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ')).toBe(
      'AGE-SECRET-KEY-***',
    );
    expect(redact('key AKIAABCDEFGHIJKLMNOP')).toBe('key AKIA***');
    expect(redact('https://hooks.slack.com/services/T000/B000/XXXX')).toBe(
      'https://hooks.slack.com/services/***',
    );
    expect(redact('GET /x?api_key=abc123&q=piano')).toBe('GET /x?api_key=***&q=piano');
  });

  it('masks registered secret values wherever they appear', () => {
    registerSecret('bypass-token-42');
    expect(redact('X-Rate-Limit-Bypass: bypass-token-42')).toBe('X-Rate-Limit-Bypass: ***');
  });

  it('masks secret-looking keys in objects but keeps variable names', () => {
    const out = redactValue({
      password: 'pw',
      passwordEnv: 'PREFLIGHT_PW',
      nested: { token: 't', email: 'a@b.c' },
    });
    expect(out).toEqual({
      password: '***',
      passwordEnv: 'PREFLIGHT_PW',
      nested: { token: '***', email: 'a@b.c' },
    });
  });

  it('keeps cookie names readable but masks the value of every cookie', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';
    expect(redactValue({ auth: { style: 'cookie', cookieName: 'sid' } })).toEqual({
      auth: { style: 'cookie', cookieName: 'sid' },
    });
    expect(redactValue({ cookieNames: ['sid', 'rid'], cookie: 'sid=abc' })).toEqual({
      cookieNames: ['sid', 'rid'],
      cookie: '***',
    });
    expect(redactValue({ passwordField: 'password', password: 'pw' })).toEqual({
      passwordField: 'password',
      password: '***',
    });
    expect(redact(JSON.stringify({ cookieName: 'sid' }))).toBe('{"cookieName":"sid"}');
    expect(redact(`sent sid=${jwt}`)).toBe('sent sid=***');
    expect(redact('Cookie: access=opaque-value-1; theme=dark')).toBe('Cookie: access=***; theme=***');
    expect(redact('Set-Cookie: access=opaque-value-2; Path=/; HttpOnly')).toBe(
      'Set-Cookie: access=***; Path=/; HttpOnly',
    );
  });

  it('leaves the `...` placeholder of an export hint alone, not a value after it', () => {
    expect(redact('export PREFLIGHT_STUDENT_A_PASSWORD=...')).toBe('export PREFLIGHT_STUDENT_A_PASSWORD=...');
    expect(redact('export A_TOKEN=... B_SECRET=...; done')).toBe('export A_TOKEN=... B_SECRET=...; done');
    expect(redact('PREFLIGHT_STUDENT_A_PASSWORD=...hunter2')).toBe('PREFLIGHT_STUDENT_A_PASSWORD=***');
    expect(redact('{"password": "..."}')).toBe('{"password": "..."}');
  });

  it('leaves ordinary text alone', () => {
    expect(redact('GET /api/v1/search?q=piano+under+%2480 -> 200')).toBe(
      'GET /api/v1/search?q=piano+under+%2480 -> 200',
    );
  });
});
