import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../src/app/cli.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { writeScript } from './test/scripts.js';
import { startTestServer, type TestServer } from './test/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const cwd = makeTempDir('preflight-load-cli-');
  const code = await main(args, {
    cwd,
    env: { ...env, PREFLIGHT_HOME: join(cwd, '.preflight') },
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
  });
  return { code, stdout, stderr, cwd };
}

/** `preflight load run <script> --engine native <flags> -e BASE_URL=<the test server>`. */
const runNative = (script: string, ...flags: string[]) =>
  runCli(['load', 'run', script, '--engine', 'native', ...flags, '-e', `BASE_URL=${server.url}`]);

describe('preflight load (CLI)', () => {
  it('run: a failing threshold exits 1; --json prints the summary; results are written', async () => {
    const script = writeScript(`
import http from 'k6/http';
export const options = { vus: 1, iterations: 3, thresholds: { http_req_failed: ['rate<0.5'] } };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/x?status=500'); }
`);
    const result = await runNative(script, '--json');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.ok).toBe(false);
    expect(json.summary.status).toBe('thresholds-failed');
    expect(json.summary.metrics.http_reqs.values.count).toBe(3);
    expect(json.resultsDir.startsWith(join(result.cwd, 'results'))).toBe(true);
  });

  it('run: prints the tables and the engine notice without --json', async () => {
    const script = writeScript(`
import http from 'k6/http';
export const options = { vus: 1, iterations: 2, thresholds: { http_req_duration: ['p(95)<10000'] } };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/ok'); }
`);
    const result = await runCli(['load', 'run', script, '-e', `BASE_URL=${server.url}`, '--no-color'], {
      ...process.env,
      PATH: '/usr/bin:/bin',
      K6_BIN: '',
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('engine: native (k6 not found');
    expect(result.stdout).toMatch(/p\(95\)<10000\s+http_req_duration\s+\S+\s+pass/);
  });

  describe('no green on nothing', () => {
    // Even iterations call http with a URL that does not parse, odd ones throw: every iteration fails.
    const throwingScript = () =>
      writeScript(`
import http from 'k6/http';
import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 12 } } };
export default async function () {
  if (exec.scenario.iterationInTest % 2 === 0) await http.asyncRequest('GET', 'not a url');
  throw new Error('no slot left');
}
`);

    it('run: a script that throws on every iteration exits 1 and shows the first errors with their counts', async () => {
      const result = await runNative(throwingScript(), '--no-color');
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('FAILED: NOTHING SUCCEEDED');
      expect(result.stdout).toContain(
        'nothing succeeded: every iteration threw (12 errors in 12 iterations)',
      );
      expect(result.stdout).toContain('iteration errors: 12');
      expect(result.stdout).toContain('6 x TypeError: Invalid URL');
      expect(result.stdout).toContain('6 x Error: no slot left');
    });

    it('run --workers 2: the same holds when the iterations run on worker threads', async () => {
      const result = await runCli([
        'load',
        'run',
        throwingScript(),
        '--engine',
        'native',
        '--workers',
        '2',
        '--json',
      ]);
      expect(result.code).toBe(1);
      const json = JSON.parse(result.stdout);
      expect(json.ok).toBe(false);
      expect(json.summary).toMatchObject({
        status: 'no-success',
        exitCode: 1,
        workers: 2,
        iterationErrors: 12,
        nothingSucceeded: 'every iteration threw (12 errors in 12 iterations)',
      });
      const counts = Object.fromEntries(
        json.summary.iterationErrorMessages.map((e: { message: string; count: number }) => [
          e.message,
          e.count,
        ]),
      );
      expect(counts).toEqual({ 'TypeError: Invalid URL': 6, 'Error: no slot left': 6 });
    });

    it('run: HTTP calls that all fail (every answer a 503) exit 1 without any threshold', async () => {
      const script = writeScript(`
import http from 'k6/http';
export const options = { vus: 1, iterations: 3 };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/x?status=503'); }
`);
      const result = await runNative(script, '--json');
      expect(result.code).toBe(1);
      const json = JSON.parse(result.stdout);
      expect(json.summary.status).toBe('no-success');
      expect(json.summary.iterationErrors).toBe(0);
      expect(json.summary.nothingSucceeded).toBe(
        'none of the 3 HTTP requests succeeded (http_req_failed 100%)',
      );
    });

    it('run: a script that catches its errors and sends no request exits 1', async () => {
      const script = writeScript(`
import http from 'k6/http';
export const options = { vus: 1, iterations: 4 };
export default async function () {
  try { await http.asyncRequest('GET', 'not a url'); } catch (e) { /* swallowed */ }
}
`);
      const result = await runCli(['load', 'run', script, '--engine', 'native', '--json']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).summary.nothingSucceeded).toBe(
        'the script makes HTTP calls but no request was sent',
      );
    });

    it('run: some iterations failing, the rest succeeding, still passes and shows the errors', async () => {
      const script = writeScript(`
import http from 'k6/http';
import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 4 } } };
export default async function () {
  await http.asyncRequest('GET', __ENV.BASE_URL + '/ok');
  if (exec.scenario.iterationInTest === 2) throw new Error('flaky step');
}
`);
      const result = await runNative(script, '--no-color');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('PASSED');
      expect(result.stdout).toContain('iteration errors: 1');
      expect(result.stdout).toContain('1 x Error: flaky step');
    });
  });

  it('run: a malformed -e is a usage error (exit 2)', async () => {
    const result = await runCli([
      'load',
      'run',
      writeScript('export default async function () {}'),
      '--engine',
      'native',
      '-e',
      'NOEQUALS',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KEY=VALUE');
  });

  it('run <name> targets the sandbox by default and exits 3 when it is not running', async () => {
    const result = await runCli(['load', 'run', 'smoke', '--engine', 'native']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('sandbox is not running');
  });

  it('k6-operator writes a ConfigMap and a TestRun', async () => {
    const result = await runCli([
      'load',
      'k6-operator',
      'smoke',
      '--parallelism',
      '3',
      '--testid',
      't1',
      '--out-dir',
      'k8s',
      '--prometheus-rw',
      'http://127.0.0.1:9090/api/v1/write',
    ]);
    expect(result.code).toBe(0);
    const configMap = parse(readFileSync(join(result.cwd, 'k8s', 'configmap.yaml'), 'utf8'));
    const testRun = parse(readFileSync(join(result.cwd, 'k8s', 'testrun.yaml'), 'utf8'));
    expect(configMap.kind).toBe('ConfigMap');
    expect(testRun).toMatchObject({
      kind: 'TestRun',
      spec: { parallelism: 3, script: { configMap: { name: configMap.metadata.name } } },
    });
    expect(result.stdout).toContain('load verdict');
  });
});
