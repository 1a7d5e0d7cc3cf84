import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { getFreePort } from '../../src/net.js';
import { type RunningTool, runTool, startTool } from '../../src/process.js';
import { writeScript } from '../test/scripts.js';
import { startTestServer, type TestServer } from '../test/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
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
        { cwd: root, allowExitCodes: [1], timeoutMs: 60_000 },
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
