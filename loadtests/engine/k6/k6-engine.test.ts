import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPreflightError } from '../../../src/core/errors.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { writeScript } from '../../test/scripts.js';
import { startTestServer, type TestServer } from '../../test/server.js';
import { runScenario } from '../run.js';
import { buildK6Command, findK6, mapK6ExitCode } from './k6-engine.js';
import { parseK6IterationError } from './k6-log.js';
import { normalizeK6Data } from './normalize.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fakeK6 = join(fixtures, 'fake-k6');
const readFixture = (name: string) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('k6 command line', () => {
  it('passes k6 flags through, tags the testid and maps prometheus-rw to experimental-prometheus-rw', () => {
    const command = buildK6Command({
      scriptFile: '/tmp/s.js',
      vus: 10,
      duration: '30s',
      envFlags: { FOO: 'bar' },
      tags: { testid: 'rc1' },
      outputs: ['prometheus-rw=http://127.0.0.1:9090/api/v1/write'],
    });
    expect(command.args).toEqual([
      'run',
      '--no-color',
      '--summary-trend-stats',
      'avg,min,med,max,p(90),p(95),p(99),count',
      '--vus',
      '10',
      '--duration',
      '30s',
      '-e',
      'FOO=bar',
      '--tag',
      'testid=rc1',
      '--out',
      'experimental-prometheus-rw',
      '/tmp/s.js',
    ]);
    expect(command.env.K6_PROMETHEUS_RW_SERVER_URL).toBe('http://127.0.0.1:9090/api/v1/write');
    expect(command.env.K6_PROMETHEUS_RW_TREND_STATS).toBe('p(95),p(99),avg,med,min,max,count');
  });

  it('maps k6 exit codes to preflight exit codes', () => {
    const table = Object.fromEntries(
      [0, 99, 104, 105, 107, 108, 109].map((c) => [c, [mapK6ExitCode(c).exitCode, mapK6ExitCode(c).status]]),
    );
    expect(table).toEqual({
      0: [0, 'passed'],
      99: [1, 'thresholds-failed'],
      104: [2, 'error'],
      105: [1, 'aborted'],
      107: [2, 'error'],
      108: [1, 'aborted'],
      109: [1, 'aborted'],
    });
  });
});

describe('k6 log lines', () => {
  it('reads iteration exceptions (source=stacktrace) in logfmt and terminal form, and nothing else', () => {
    expect(
      parseK6IterationError(
        'time="2026-11-30T10:00:00Z" level=error msg="Uncaught (in promise) GoError: invalid URL \\"x\\"\\n\\tat default (file:///s.js:4:2(9))" executor=constant-vus scenario=default source=stacktrace',
      ),
    ).toBe('GoError: invalid URL "x"');
    expect(
      parseK6IterationError(
        "ERRO[0003] TypeError: Cannot read property 'id' of undefined at default (file:///s.js:3:9(20))  executor=shared-iterations scenario=default source=stacktrace",
      ),
    ).toBe("TypeError: Cannot read property 'id' of undefined");
    expect(
      parseK6IterationError('time="2026-11-30T10:00:00Z" level=warning msg="Request Failed" error="EOF"'),
    ).toBeUndefined();
    expect(parseK6IterationError('time="x" level=error msg="thresholds on metrics have been crossed"')).toBe(
      undefined,
    );
  });
});

describe('summary normalization', () => {
  const expected = {
    thresholds: [
      { metric: 'http_req_duration', source: 'p(95)<300', ok: true },
      { metric: 'http_req_duration{name:search}', source: 'p(95)<500', ok: true },
      { metric: 'http_req_failed', source: 'rate<0.01', ok: false },
    ],
    checks: [
      { path: '::health is 200', name: 'health is 200', passes: 38, fails: 2 },
      { path: '::search::search is 200', name: 'search is 200', passes: 40, fails: 0 },
    ],
  };
  const sortBy = <T>(list: T[], key: (t: T) => string) =>
    [...list].sort((a, b) => key(a).localeCompare(key(b)));

  for (const [file, shape] of [
    ['k6-0.48-summary.json', 'legacy'],
    ['k6-1.x-summary.json', 'report'],
    ['k6-2.x-summary.json', 'report'],
  ] as const) {
    it(`normalizes the ${file.replace('-summary.json', '')} end-of-test data`, () => {
      const data = normalizeK6Data(readFixture(file));
      expect(data.shape).toBe(shape);
      expect(data.durationMs).toBe(10012.5);
      expect(data.metrics.http_reqs?.values.count).toBe(80);
      expect(data.metrics.http_req_duration?.values['p(95)']).toBe(42.7);
      expect(data.metrics.http_req_failed?.values.rate).toBe(0.025);
      expect(data.metrics.checks?.values.passes).toBe(78);
      expect(sortBy(data.thresholds, (t) => t.metric + t.source)).toEqual(
        sortBy(expected.thresholds, (t) => t.metric + t.source),
      );
      expect(sortBy(data.checks, (c) => c.path)).toEqual(expected.checks);
    });
  }

  it('un-inverts the --summary-export threshold booleans (true there means failed)', () => {
    const data = normalizeK6Data(readFixture('summary-export.json'));
    expect(data.shape).toBe('summary-export');
    expect(sortBy(data.thresholds, (t) => t.metric)).toEqual([
      { metric: 'http_req_duration', source: 'p(95)<300', ok: true },
      { metric: 'http_req_failed', source: 'rate<0.01', ok: false },
    ]);
    expect(data.metrics.http_req_failed?.values.rate).toBe(0.025);
  });
});

describe('k6 engine end to end with a fake k6 executable', () => {
  const script = () =>
    writeScript(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, iterations: 1, thresholds: { http_req_failed: ['rate<0.01'] } };
export default async function () { check(await http.asyncRequest('GET', __ENV.BASE_URL + '/ok'), { ok: (r) => r.status === 200 }); }
`);
  /** Runs the script on the fake k6 with its FAKE_K6_* settings. */
  const runFake = (fake: Record<string, string>) =>
    runScenario({
      scenario: script(),
      engine: 'k6',
      processEnv: { K6_BIN: fakeK6 },
      env: { BASE_URL: server.url, ...fake },
      resultsDir: false,
    });

  it('exit 99 becomes exit 1 with the normalized verdicts; the bundle is an ES module with the summary hook', async () => {
    const record = makeTempDir('fake-k6-');
    const result = await runScenario({
      scenario: script(),
      engine: 'k6',
      processEnv: { K6_BIN: fakeK6 },
      env: { BASE_URL: server.url, FAKE_K6_EXIT: '99', FAKE_K6_SHAPE: 'k6-1.x', FAKE_K6_RECORD_DIR: record },
      outputs: ['prometheus-rw=http://127.0.0.1:9/api/v1/write'],
      testid: 'rc7',
      resultsDir: false,
    });
    expect(result.engine).toBe('k6');
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('thresholds-failed');
    expect(result.summary.source).toBe('report');
    expect(result.summary.thresholds.find((t) => t.metric === 'http_req_failed')?.ok).toBe(false);
    const args = JSON.parse(readFileSync(join(record, 'args.json'), 'utf8'));
    expect(args.slice(0, 2)).toEqual(['run', '--no-color']);
    // k6 (0.48 above all) leaves p(99) out of its summary unless asked for it
    const stats = args.indexOf('--summary-trend-stats');
    expect(stats).toBeGreaterThan(0);
    expect(args[stats + 1].split(',')).toEqual(expect.arrayContaining(['p(95)', 'p(99)', 'med', 'max']));
    expect(args.some((a: string) => a.startsWith('json='))).toBe(true);
    expect(args).toContain('testid=rc7');
    const bundled = readFileSync(join(record, 'script.js'), 'utf8');
    expect(bundled).toMatch(/import \w+ from "k6\/http"/);
    expect(bundled).toMatch(/handleSummary\d* as handleSummary|export function handleSummary\(/);
    expect(bundled).toContain('PREFLIGHT_SUMMARY_PATH');
    const env = JSON.parse(readFileSync(join(record, 'env.json'), 'utf8'));
    expect(env).toEqual({
      BASE_URL: server.url,
      PREFLIGHT_TESTID: 'rc7',
      K6_PROMETHEUS_RW_SERVER_URL: 'http://127.0.0.1:9/api/v1/write',
    });
  });

  it('exit 0 passes with the 0.48 data shape', async () => {
    const result = await runFake({ FAKE_K6_EXIT: '0', FAKE_K6_SHAPE: 'k6-0.48' });
    expect(result.exitCode).toBe(0);
    expect(result.summary.source).toBe('legacy');
    expect(result.summary.metrics.http_reqs?.values.count).toBe(80);
    // the fake, like k6 0.48, reports p(99) only when --summary-trend-stats asks for it: (42.7 + 80.3) / 2
    expect(result.summary.latency.uncorrected?.p99).toBe(61.5);
    // The per-second series comes from k6's --out json stream.
    expect(result.series.map((p) => [p.t, p.rps, p.errorRate.toFixed(3), p.iterations])).toEqual([
      [0, 3, '0.333', 3],
      [1, 2, '0.000', 2],
    ]);
    expect(result.series[1]?.vus).toBe(2);
    expect(result.series[0]?.p99).toBeCloseTo(30, 0);
  });

  it('exit 107 (script exception) becomes a usage/script error with exit 2', async () => {
    const error = await runFake({ FAKE_K6_EXIT: '107' }).catch((e) => e);
    expect(isPreflightError(error)).toBe(true);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('script exception');
  });

  it('exit 108 (test.abort) becomes exit 1, aborted', async () => {
    const result = await runFake({ FAKE_K6_EXIT: '108', FAKE_K6_SHAPE: 'k6-2.x' });
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('aborted');
  });

  it('a run whose every iteration threw (k6 exit 0) fails with the first errors and their counts, from k6 log lines', async () => {
    const result = await runFake({ FAKE_K6_EXIT: '0', FAKE_K6_ITERATION_ERRORS: '8' });
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('no-success');
    expect(result.summary.nothingSucceeded).toBe('every iteration threw (8 errors in 8 iterations)');
    expect(result.summary.iterationErrors).toBe(8);
    expect(result.summary.iterationErrorMessages).toEqual([
      { message: 'TypeError: Invalid URL "not a url"', count: 6 },
      { message: 'Error: no slot left', count: 2 },
    ]);
  });

  it('a script that makes HTTP calls but whose k6 run sent no request fails', async () => {
    const result = await runFake({ FAKE_K6_EXIT: '0', FAKE_K6_NO_REQUESTS: '1' });
    expect(result.exitCode).toBe(1);
    expect(result.summary.status).toBe('no-success');
    expect(result.summary.nothingSucceeded).toBe('the script makes HTTP calls but no request was sent');
  });

  it('--engine k6 without k6 is E_TOOL_MISSING', async () => {
    const error = await runScenario({
      scenario: script(),
      engine: 'k6',
      processEnv: { PATH: '/nonexistent' },
      resultsDir: false,
    }).catch((e) => e);
    expect(isPreflightError(error) && error.code).toBe('E_TOOL_MISSING');
  });
});

const realK6 = findK6({ PATH: process.env.PATH });
if (!realK6)
  console.warn(
    'real k6 test not run: k6 is not on PATH (the k6 engine is covered above with a fake k6 executable)',
  );

describe('real k6', () => {
  it.runIf(Boolean(realK6))('runs the portable script unmodified on real k6', async () => {
    const path = writeScript(`
import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { vus: 2, iterations: 6, thresholds: { http_req_failed: ['rate<0.01'], checks: ['rate==1'] } };
export default async function () {
  const res = await http.asyncRequest('GET', __ENV.BASE_URL + '/ok');
  check(res, { 'is 200': (r) => r.status === 200 });
  await sleep(0.01);
}
`);
    const result = await runScenario({
      scenario: path,
      engine: 'k6',
      processEnv: { PATH: process.env.PATH },
      env: { BASE_URL: server.url },
      resultsDir: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(6);
  });
});
