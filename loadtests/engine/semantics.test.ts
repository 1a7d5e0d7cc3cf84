import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPreflightError } from '../../src/core/errors.js';
import type { ResolvedTarget } from '../../src/core/target.js';
import { writeScript } from '../test/scripts.js';
import { startTestServer, type TestServer } from '../test/server.js';
import { runScenario } from './run.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const native = { engine: 'native' as const, resultsDir: false as const };

describe('k6 semantics of the native engine', () => {
  it('keeps module state per VU: a module-level counter counts only that VU\u2019s iterations', async () => {
    const path = writeScript(`
import { check } from 'k6';
import exec from 'k6/execution';
import { Trend } from 'k6/metrics';
let counter = 0;
const seen = new Trend('counter_value');
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 5 } } };
export default async function () {
  counter++;
  seen.add(counter);
  check(counter, { 'counter is this VU\u2019s iteration + 1': (c) => c === __ITER + 1 && c === exec.vu.iterationInScenario + 1 });
}
`);
    const result = await runScenario({ scenario: path, ...native });
    expect(result.summary.metrics.counter_value?.values.max).toBe(5);
    expect(result.summary.metrics.checks?.values.rate).toBe(1);
    expect(result.summary.metrics.checks?.values.passes).toBe(20);
  });

  it('exits 1 when a threshold fails and reports each verdict, including sub-metric selectors', async () => {
    const path = writeScript(`
import http from 'k6/http';
export const options = {
  scenarios: {
    fast: { executor: 'shared-iterations', vus: 2, iterations: 10, exec: 'fast' },
    broken: { executor: 'shared-iterations', vus: 1, iterations: 5, exec: 'broken' },
  },
  thresholds: {
    'http_req_failed{scenario:fast}': ['rate==0'],
    'http_req_failed{scenario:broken}': ['rate<0.5'],
    http_reqs: ['count==15'],
    'http_req_duration{name:fast-route}': ['p(95)<5000', 'avg<5000'],
  },
};
export async function fast() { await http.asyncRequest('GET', __ENV.BASE_URL + '/ok', null, { tags: { name: 'fast-route' } }); }
export async function broken() { await http.asyncRequest('GET', __ENV.BASE_URL + '/x?status=500'); }
`);
    const result = await runScenario({ scenario: path, ...native, env: { BASE_URL: server.url } });
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('thresholds-failed');
    const verdicts = Object.fromEntries(
      result.summary.thresholds.map((t) => [`${t.metric} ${t.source}`, t.ok]),
    );
    expect(verdicts).toEqual({
      'http_req_failed{scenario:fast} rate==0': true,
      'http_req_failed{scenario:broken} rate<0.5': false,
      'http_reqs count==15': true,
      'http_req_duration{name:fast-route} p(95)<5000': true,
      'http_req_duration{name:fast-route} avg<5000': true,
    });
    expect(result.summary.metrics['http_req_failed{scenario:broken}']?.values.rate).toBe(1);
  });

  it('abortOnFail stops the run early (after delayAbortEval)', async () => {
    const path = writeScript(`
import http from 'k6/http';
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '20s' } },
  thresholds: { http_req_failed: [{ threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '1s' }] },
};
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/x?status=503&delay=20'); }
`);
    const started = Date.now();
    const result = await runScenario({ scenario: path, ...native, env: { BASE_URL: server.url } });
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('aborted');
    expect(result.summary.abort?.kind).toBe('thresholds');
    expect(result.summary.thresholds[0]?.ok).toBe(false);
  }, 30_000);

  it('an interrupt (Ctrl-C) stops the iterations, still runs teardown, and reports the run as aborted', async () => {
    const path = writeScript(`
import http from 'k6/http';
import { Counter } from 'k6/metrics';
const teardowns = new Counter('teardowns');
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s' } } };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/ok?delay=20'); }
export function teardown() { teardowns.add(1); }
`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const started = Date.now();
    const result = await runScenario({
      scenario: path,
      ...native,
      env: { BASE_URL: server.url },
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('aborted');
    expect(result.summary.abort?.kind).toBe('interrupt');
    expect(result.summary.metrics.teardowns?.values.count).toBe(1);
  }, 30_000);

  it('test.abort() from the script ends the run as aborted (k6 exit 108 -> 1)', async () => {
    const path = writeScript(`
import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 100 } } };
export default async function () { if (exec.scenario.iterationInTest === 2) exec.test.abort('enough'); }
`);
    const result = await runScenario({ scenario: path, ...native });
    expect(result.exitCode).toBe(1);
    expect(result.summary.abort).toEqual({ kind: 'script', reason: 'enough' });
    expect(result.summary.metrics.iterations?.values.count).toBe(2);
  });

  it('gives k6 responses: canonical headers, cookies kept per VU, redirects followed', async () => {
    const cookieServer = await startTestServer({
      handler: (req, res) => {
        if (req.url === '/login') {
          res.writeHead(200, { 'set-cookie': 'sid=abc123; HttpOnly; Path=/', 'x-thing': 'one' });
          res.end('{}');
          return true;
        }
        if (req.url === '/me') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }));
          return true;
        }
        if (req.url === '/go') {
          res.writeHead(302, { location: '/me' });
          res.end();
          return true;
        }
        return false;
      },
    });
    try {
      const path = writeScript(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 1 } }, thresholds: { checks: ['rate==1'] } };
export default async function () {
  const before = await http.asyncRequest('GET', __ENV.BASE_URL + '/me');
  const login = await http.asyncRequest('GET', __ENV.BASE_URL + '/login');
  const me = await http.asyncRequest('GET', __ENV.BASE_URL + '/go');
  check(null, {
    'no cookie before login': () => before.json('cookie') === null,
    'canonical header names': () => login.headers['X-Thing'] === 'one' && login.headers['Set-Cookie'].startsWith('sid=abc123'),
    'response cookies': () => login.cookies.sid[0].value === 'abc123',
    'redirect followed to /me': () => me.status === 200 && me.url.endsWith('/me'),
    'jar sends the cookie': () => me.json('cookie') === 'sid=abc123',
  });
}
`);
      const result = await runScenario({ scenario: path, ...native, env: { BASE_URL: cookieServer.url } });
      expect(result.summary.checks.filter((c) => c.fails > 0)).toEqual([]);
      expect(result.summary.metrics.checks?.values.passes).toBe(10);
      // Each hop of a redirect is its own request, as in k6.
      expect(result.summary.metrics.http_reqs?.values.count).toBe(8);
    } finally {
      await cookieServer.close();
    }
  });

  it('runs setup, teardown and handleSummary with k6 data shapes', async () => {
    const path = writeScript(`
import http from 'k6/http';
import { check, group } from 'k6';
import { Counter } from 'k6/metrics';
const made = new Counter('things_made');
export const options = { iterations: 3, vus: 1, thresholds: { things_made: ['count==3'] } };
export function setup() { return { token: 'abc', base: __ENV.BASE_URL }; }
export default async function (data) {
  const res = await http.asyncRequest('GET', data.base + '/ok');
  group('inner', () => { check(res, { 'ok': (r) => r.status === 200 && data.token === 'abc' }); });
  made.add(1);
}
export function teardown(data) { made.add(data.token === 'abc' ? 0 : 100); }
export function handleSummary(data) {
  return {
    stdout: 'custom summary',
    'summary-out.json': JSON.stringify({
      reqs: data.metrics.http_reqs.values.count,
      thresholdOk: data.metrics.things_made.thresholds['count==3'].ok,
      groups: data.root_group.groups.map((g) => g.name),
      innerCheck: data.root_group.groups[0].checks[0],
      setup: data.setup_data,
    }),
  };
}
`);
    const result = await runScenario({
      scenario: path,
      ...native,
      cwd: dirname(path),
      env: { BASE_URL: server.url },
    });
    expect(result.exitCode).toBe(0);
    expect(result.summaryStdout).toBe('custom summary');
    const out = JSON.parse(readFileSync(join(dirname(path), 'summary-out.json'), 'utf8'));
    expect(out).toMatchObject({ reqs: 3, thresholdOk: true, groups: ['inner'], setup: { token: 'abc' } });
    expect(out.innerCheck).toMatchObject({ name: 'ok', path: '::inner::ok', passes: 3, fails: 0 });
  });

  it('refuses unsupported modules and untransformable blocking calls before the run, naming them', async () => {
    const path = writeScript(`
import http from 'k6/http';
import ws from 'k6/ws';
export default function () {
  [1, 2].forEach(() => http.get(__ENV.BASE_URL + '/ok'));
}
`);
    const before = server.count;
    const error = await runScenario({ scenario: path, ...native, env: { BASE_URL: server.url } }).catch(
      (e) => e,
    );
    expect(isPreflightError(error) && error.code).toBe('E_UNSUPPORTED_API');
    expect(error.message).toContain('WebSockets (k6/ws)');
    expect(error.message).toContain('--engine k6');
    expect(error.exitCode).toBe(2);
    expect(server.count).toBe(before);
  });

  it('refuses a host the target does not allow (exit 2), before any request', async () => {
    const path = writeScript(`
import http from 'k6/http';
export default async function () { await http.asyncRequest('GET', 'http://localhost:' + __ENV.PORT + '/ok'); }
`);
    const target = {
      name: 'local',
      baseUrl: server.url,
      apiBase: `${server.url}/api/v1`,
      allowedHosts: ['127.0.0.1'],
      auth: { style: 'bearer', loginPath: '/auth/login', mePath: '/auth/me' },
      accounts: {},
      environment: 'test',
      sandbox: undefined,
    } as unknown as ResolvedTarget;
    const before = server.count;
    const error = await runScenario({
      scenario: path,
      ...native,
      target,
      env: { PORT: String(server.port) },
    }).catch((e) => e);
    expect(isPreflightError(error) && error.code).toBe('E_TARGET_NOT_ALLOWED');
    expect(server.count).toBe(before);
  });

  it('exits 3 (E_TARGET_UNREACHABLE) when the target does not answer', async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    const path = writeScript(`export default async function () {}`);
    const error = await runScenario({ scenario: path, ...native, env: { BASE_URL: url } }).catch((e) => e);
    expect(isPreflightError(error) && error.exitCode).toBe(3);
  });

  it('writes results/<run-id>/ with summary, schema, time series and verdicts', async () => {
    const path = writeScript(`
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, duration: '2s', preAllocatedVUs: 2 } }, thresholds: { http_req_duration: ['p(95)<5000'] } };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/ok'); }
`);
    const resultsDir = join(dirname(path), 'results');
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      resultsDir,
      env: { BASE_URL: server.url },
    });
    expect(result.resultsDir).toBeDefined();
    for (const file of ['summary.json', 'summary.schema.json', 'timeseries.json', 'thresholds.json']) {
      expect(existsSync(join(result.resultsDir!, file))).toBe(true);
    }
    const series = JSON.parse(readFileSync(join(result.resultsDir!, 'timeseries.json'), 'utf8'));
    expect(series.points.reduce((s: number, p: { rps: number }) => s + p.rps, 0)).toBe(40);
    expect(Object.keys(series.points[0])).toEqual([
      't',
      'rps',
      'errorRate',
      'p50',
      'p95',
      'p99',
      'vus',
      'iterations',
      'droppedIterations',
      // an arrival-rate run: the coordinated-omission corrected percentiles too
      'p50Corrected',
      'p95Corrected',
      'p99Corrected',
    ]);
    const verdicts = JSON.parse(readFileSync(join(result.resultsDir!, 'thresholds.json'), 'utf8'));
    expect(verdicts.ok).toBe(true);
    const schema = JSON.parse(readFileSync(join(result.resultsDir!, 'summary.schema.json'), 'utf8'));
    const summary = JSON.parse(readFileSync(join(result.resultsDir!, 'summary.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(summary), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...summary, status: 'maybe' })).toBe(false);
  });
});
