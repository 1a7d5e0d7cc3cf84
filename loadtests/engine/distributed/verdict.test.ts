import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { getFreePort } from '../../../src/core/net.js';
import { type RunningTool, runTool, startTool } from '../../../src/core/process.js';
import { writeScript } from '../../test/scripts.js';
import { startTestServer, type TestServer } from '../../test/server.js';
import { pushSeries } from '../outputs/remote-write.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cliEntry = join(root, 'loadtests/test/cli-entry.ts');

let server: TestServer;
let prometheus: RunningTool;
let promUrl: string;
let dataDir: string;

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('prometheus did not become ready');
}

beforeAll(async () => {
  server = await startTestServer();
  dataDir = mkdtempSync(join(tmpdir(), 'preflight-prom-'));
  const config = join(dataDir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
  const port = await getFreePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = startTool('prometheus', [
    '--web.enable-remote-write-receiver',
    `--storage.tsdb.path=${join(dataDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--config.file=${config}`,
  ]);
  await waitReady(promUrl);
}, 60_000);

afterAll(async () => {
  await prometheus?.kill();
  await prometheus?.result.catch(() => undefined);
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const capture = () => {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
};

describe('load verdict over Prometheus (two native runners via remote write)', () => {
  it('combines both runners: counts summed, rates weighted by requests, verdicts as over the combined data', async () => {
    const script = writeScript(`
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 20 } },
  thresholds: {
    http_reqs: ['count==40'],
    http_req_failed: ['rate<0.3', 'rate<0.2'],
    http_req_duration: ['p(95)<5000', 'avg<5000'],
    'http_req_duration{status:500}': ['max<5000'],
    checks: ['rate>0.7'],
  },
};
export default async function () {
  const failing = __ENV.FAIL_HALF === '1' && exec.scenario.iterationInTest % 2 === 1;
  const res = await http.asyncRequest('GET', __ENV.BASE_URL + (failing ? '/x?status=500' : '/ok'));
  check(res, { 'is 200': (r) => r.status === 200 });
}
`);
    const runner = (failHalf: string) =>
      runTool(
        process.execPath,
        [
          '--import',
          'tsx',
          cliEntry,
          'load',
          'run',
          script,
          '--engine',
          'native',
          '--no-color',
          '--results-dir',
          join(dataDir, 'results'),
          '-e',
          `BASE_URL=${server.url}`,
          '-e',
          `FAIL_HALF=${failHalf}`,
          '--testid',
          'combined-1',
          '--out',
          `prometheus-rw=${promUrl}/api/v1/write`,
        ],
        // tsx would leave its compile cache in the temp directory
        { cwd: root, allowExitCodes: [1], timeoutMs: 60_000, env: { TSX_DISABLE_CACHE: '1' } },
      );
    const [healthy, failing] = await Promise.all([runner('0'), runner('1')]);
    // Each runner alone: 20 requests, so `count==40` fails; the failing one has a 50% error rate.
    expect(healthy.exitCode).toBe(1);
    expect(failing.exitCode).toBe(1);

    const out = capture();
    const err = capture();
    const code = await main(
      ['load', 'verdict', script, '--prometheus', promUrl, '--testid', 'combined-1', '--json'],
      {
        stdout: out.stream,
        stderr: err.stream,
        cwd: root,
      },
    );
    const result = JSON.parse(out.text());
    const byKey = Object.fromEntries(
      result.thresholds.map((t: { metric: string; source: string }) => [`${t.metric} ${t.source}`, t]),
    );
    expect(byKey['http_reqs count==40']).toMatchObject({
      ok: true,
      observed: 40,
      approximate: false,
      series: 3,
    });
    expect(byKey['http_req_failed rate<0.3']).toMatchObject({ ok: true, observed: 0.25, approximate: false });
    expect(byKey['http_req_failed rate<0.2']).toMatchObject({ ok: false, observed: 0.25 });
    expect(byKey['http_req_duration p(95)<5000']).toMatchObject({ ok: true, approximate: false });
    expect(byKey['http_req_duration avg<5000'].ok).toBe(true);
    expect(byKey['http_req_duration{status:500} max<5000']).toMatchObject({ ok: true, series: 1 });
    expect(byKey['checks rate>0.7']).toMatchObject({ ok: true });
    expect(byKey['checks rate>0.7'].observed).toBeCloseTo(0.75, 5);
    expect(code).toBe(1);
    expect(result.ok).toBe(false);
  }, 120_000);
});

describe('load verdict units and missing data (samples pushed as k6 runners push them)', () => {
  const script = () =>
    writeScript(`
import { Trend } from 'k6/metrics';
const bookingLatency = new Trend('booking_latency', true);
const queueDepth = new Trend('queue_depth');
export const options = {
  thresholds: {
    http_req_duration: ['p(95)<300', 'p(95)<2500'],
    booking_latency: ['p(95)<300'],
    queue_depth: ['p(95)<300'],
    http_reqs: ['count>0'],
  },
};
export default async function () { bookingLatency.add(1); queueDepth.add(1); }
`);

  /** What k6's experimental-prometheus-rw writes for one runner: time trends in seconds, other trends as they are. */
  async function pushRun(testid: string): Promise<void> {
    const labels = { testid, runner: 'pod-0', scenario: 'default' };
    const ts = Date.now();
    const one = (name: string, value: number) => ({
      labels: { ...labels, __name__: name },
      samples: [{ value, timestampMs: ts }],
    });
    await pushSeries(`${promUrl}/api/v1/write`, [
      one('k6_http_reqs_total', 50),
      one('k6_http_req_duration_p95', 2),
      one('k6_http_req_duration_count', 50),
      one('k6_booking_latency_p95', 0.5),
      one('k6_booking_latency_count', 50),
      one('k6_queue_depth_p95', 250),
      one('k6_queue_depth_count', 50),
    ]);
  }

  it('compares time trends in milliseconds: p95 = 2 s fails p(95)<300; a unitless trend is compared as stored', async () => {
    await pushRun('units-1');
    const out = capture();
    const err = capture();
    const code = await main(
      ['load', 'verdict', script(), '--prometheus', promUrl, '--testid', 'units-1', '--json'],
      { stdout: out.stream, stderr: err.stream, cwd: root },
    );
    const result = JSON.parse(out.text());
    const byKey = Object.fromEntries(
      result.thresholds.map((t: { metric: string; source: string }) => [`${t.metric} ${t.source}`, t]),
    );
    expect(byKey['http_req_duration p(95)<300']).toMatchObject({ ok: false, observed: 2000 });
    expect(byKey['http_req_duration p(95)<2500']).toMatchObject({ ok: true, observed: 2000 });
    // a custom Trend declared as time (new Trend(name, true)) is in seconds in Prometheus too
    expect(byKey['booking_latency p(95)<300']).toMatchObject({ ok: false, observed: 500 });
    expect(byKey['queue_depth p(95)<300']).toMatchObject({ ok: true, observed: 250 });
    expect(byKey['http_reqs count>0']).toMatchObject({ ok: true, observed: 50 });
    expect(result.ok).toBe(false);
    expect(code).toBe(1);
  }, 60_000);

  it('a testid with no series in Prometheus exits 1 with "no data for testid X", not a pass', async () => {
    await pushRun('units-2');
    const out = capture();
    const err = capture();
    const code = await main(
      ['load', 'verdict', script(), '--prometheus', promUrl, '--testid', 'units-2-typo', '--no-color'],
      { stdout: out.stream, stderr: err.stream, cwd: root },
    );
    expect(code).toBe(1);
    expect(err.text()).toContain('no data for testid units-2-typo');
    expect(out.text()).not.toMatch(/pass/);
  }, 60_000);
});
