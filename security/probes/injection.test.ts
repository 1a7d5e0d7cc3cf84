import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteSpec } from '../routes.js';
import { createLocalContext, type LocalServer, startLocalServer } from '../test/context.js';
import { injectionProbe, matchSqlError } from './injection.js';

const searchRoute: RouteSpec = {
  method: 'GET',
  path: '/search',
  auth: 'none',
  params: [{ name: 'region', in: 'query', sample: 'manhattan', required: false }],
  source: 'config',
};

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SQL injection probe on tiny real HTTP servers', () => {
  it('does not report time-based injection on a slow, jittery target that runs no SQL', async () => {
    const seen: string[] = [];
    server = await startLocalServer(async (req, res) => {
      const region = new URL(req.url ?? '/', 'http://x').searchParams.get('region') ?? '';
      seen.push(region);
      // 50-150 ms of jitter, and a 1.3 s stall that happens to hit the first pg_sleep request: slow, but not from SQL
      const firstSleep =
        region.includes('pg_sleep(1)') && seen.filter((r) => r.includes('pg_sleep(1)')).length === 1;
      await sleep(firstSleep ? 1300 : 50 + Math.random() * 100);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [] }));
    });
    const context = createLocalContext(server.url, [searchRoute]);
    const { findings } = await injectionProbe.run(context);
    expect(findings).toEqual([]);
    // the stall passed the first threshold, so the probe asked for confirmation with pg_sleep(2) and pg_sleep(0)
    expect(seen.some((r) => r.includes('pg_sleep(2)'))).toBe(true);
  }, 60_000);

  it('does not report time-based injection on a target whose latency wanders between 0.2 and 1.5 s', async () => {
    server = await startLocalServer(async (_req, res) => {
      await sleep(200 + Math.random() * 1300);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [] }));
    });
    const { findings } = await injectionProbe.run(createLocalContext(server.url, [searchRoute]));
    expect(findings).toEqual([]);
  }, 120_000);

  it('confirms time-based injection when the delay follows pg_sleep(S), pg_sleep(2S) and pg_sleep(0)', async () => {
    server = await startLocalServer(async (req, res) => {
      const region = new URL(req.url ?? '/', 'http://x').searchParams.get('region') ?? '';
      const seconds = Number(region.match(/pg_sleep\(([\d.]+)\)/)?.[1] ?? 0);
      await sleep(20 + seconds * 1000);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [] }));
    });
    const context = createLocalContext(server.url, [searchRoute], { sleepSeconds: 0.5 });
    const { findings } = await injectionProbe.run(context);
    const timing = findings.find((f) => f.ruleId === 'SQLI-TIME');
    expect(timing?.detail).toMatch(/pg_sleep\(0\.5\) \d+ ms, pg_sleep\(1\) \d+ ms, pg_sleep\(0\) \d+ ms/);
    expect(timing?.location.path).toBe('/api/v1/search');
  }, 60_000);

  it('reports boolean-based injection when true and false conditions change the result count', async () => {
    server = await startLocalServer((req, res) => {
      const region = new URL(req.url ?? '/', 'http://x').searchParams.get('region') ?? '';
      const truthy = /' OR '(\d)'='\1/.test(region) || /^manhattan' AND '(\d)'='\1/.test(region);
      const rows = region === 'manhattan' || truthy ? [1, 2, 3] : [];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: rows }));
    });
    const { findings } = await injectionProbe.run(createLocalContext(server.url, [searchRoute]));
    expect(findings.map((f) => f.ruleId)).toContain('SQLI-BOOLEAN');
  }, 60_000);

  it('recognises PostgreSQL, psycopg2, asyncpg and SQLAlchemy error signatures', () => {
    expect(matchSqlError('ERROR:  syntax error at or near "\'"')).toBe('PostgreSQL');
    expect(matchSqlError('psycopg2.errors.SyntaxError: unterminated')).toBe('psycopg2');
    expect(matchSqlError('raise psycopg2.ProgrammingError(x)')).toBe('psycopg2');
    expect(matchSqlError('asyncpg.exceptions.UndefinedColumnError: column "x"')).toBe('asyncpg');
    expect(
      matchSqlError(
        'sqlalchemy.exc.ProgrammingError: (Background on this error at: https://sqlalche.me/e/20/f405)',
      ),
    ).toBe('SQLAlchemy');
    expect(matchSqlError('{"detail":"Not found"}')).toBeUndefined();
  });
});
