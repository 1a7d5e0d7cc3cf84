/**
 * Acceptance: a k6 script as k6's documentation writes it (http.get, check, sleep, groups, a custom Trend) runs
 * unchanged through the real `preflight load run` on the native engine, and its summary has k6's metric names and
 * tags. The script's hosts point at a local httpbin through k6's own K6_HOSTS variable (no edit to the script).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCertificate } from '../../../test/helpers/certificate.js';
import { runCli } from '../../../test/helpers/cli.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { type Httpbin, startHttpbin } from './httpbin.js';

const script = join(import.meta.dirname, 'docs-example', 'thresholds-on-groups.js');
let httpbin: Httpbin;
let workDir: string;

beforeAll(async () => {
  workDir = makeTempDir('preflight-docs-example-');
  const { key, cert } = await makeCertificate(2);
  writeFileSync(join(workDir, 'key.pem'), key);
  writeFileSync(join(workDir, 'cert.pem'), cert);
  httpbin = await startHttpbin({
    tls: { keyFile: join(workDir, 'key.pem'), certFile: join(workDir, 'cert.pem') },
  });
}, 60_000);

afterAll(async () => {
  await httpbin?.stop();
});

it('`preflight load run` runs the documentation\u2019s script on the native engine with k6\u2019s metric names and tags', async () => {
  const result = await runCli(
    ['load', 'run', script, '--engine', 'native', '--json', '--results-dir', workDir],
    {
      cwd: workDir,
      env: {
        PREFLIGHT_HOME: join(workDir, '.preflight'),
        K6_HOSTS: JSON.stringify({ 'httpbin.test.k6.io': `127.0.0.1:${httpbin.port}` }),
        K6_INSECURE_SKIP_TLS_VERIFY: 'true',
      },
      timeoutMs: 60_000,
    },
  );
  expect(result.code, result.stderr).toBe(0);
  const { summary } = JSON.parse(result.stdout) as {
    summary: {
      engine: string;
      metrics: Record<string, { values: Record<string, number> }>;
      checks: Array<{ path: string; name: string; passes: number; fails: number }>;
      thresholds: Array<{ metric: string; ok: boolean }>;
    };
  };
  expect(summary.engine).toBe('native');
  // k6's end-of-test metric names, the custom Trend among them
  for (const name of [
    'checks',
    'data_received',
    'data_sent',
    'group_duration',
    'http_req_blocked',
    'http_req_connecting',
    'http_req_duration',
    'http_req_failed',
    'http_req_receiving',
    'http_req_sending',
    'http_req_tls_handshaking',
    'http_req_waiting',
    'http_reqs',
    'iteration_duration',
    'iterations',
    'vus',
    'vus_max',
    'waiting_time',
  ])
    expect(Object.keys(summary.metrics), name).toContain(name);
  expect(summary.metrics.iterations?.values.count).toBe(3);
  expect(summary.metrics.http_reqs?.values.count).toBe(12);
  expect(
    summary.metrics.waiting_time?.values.count ?? summary.metrics.waiting_time?.values.avg,
  ).toBeDefined();
  // k6's tags: group paths as `::group` (a check's path ends in its name), user tags on requests
  expect(summary.checks).toEqual([
    { path: '::individualRequests::is status 200', name: 'is status 200', passes: 3, fails: 0 },
  ]);
  expect(summary.thresholds.map((t) => [t.metric, t.ok])).toEqual([
    ['group_duration{group:::individualRequests}', true],
    ['group_duration{group:::batchRequests}', true],
    ['http_req_duration{type:API}', true],
  ]);
  expect(Object.keys(summary.metrics)).toEqual(
    expect.arrayContaining(['group_duration{group:::individualRequests}', 'http_req_duration{type:API}']),
  );
}, 90_000);
