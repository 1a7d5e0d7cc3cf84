/** k6's `throw` option (and K6_THROW): a request that got no response throws in the script after its metrics are recorded; an error status never throws. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import { writeScript } from '../../test/scripts.js';
import { runScenario } from '../run.js';
import { applyEnvOptions } from '../scenario/env-options.js';

describe('options.throw', () => {
  let server: http.Server;
  let errorStatusUrl = '';
  let refusedUrl = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(500, { 'content-length': '4' });
      res.end('boom');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    errorStatusUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // a port nobody listens on: listened on once, then closed
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const script = (url: string, throwOption: boolean | undefined) =>
    writeScript(`
import http from 'k6/http';
import { Counter } from 'k6/metrics';
const after = new Counter('after_request');
export const options = { iterations: 2, vus: 1${throwOption === undefined ? '' : `, throw: ${throwOption}`} };
export default function () {
  http.get('${url}');
  after.add(1);
}
`);

  const run = (url: string, throwOption: boolean | undefined) =>
    runScenario({ scenario: script(url, throwOption), engine: 'native', resultsDir: false });

  it('throws for a refused connection, with the request counted first', async () => {
    const result = await run(refusedUrl, true);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(2);
    expect(result.summary.metrics.http_req_failed?.values.rate).toBe(1);
    expect(result.summary.metrics.after_request?.values.count ?? 0).toBe(0);
    expect(result.summary.iterationErrors).toBe(2);
    expect(result.summary.iterationErrorMessages.map((e) => e.message).join('\n')).toContain(
      `Get "${refusedUrl}": dial: connection refused`,
    );
  });

  it('does not throw without the option (k6 default), nor for an error status with it', async () => {
    for (const [url, throwOption] of [
      [refusedUrl, undefined],
      [errorStatusUrl, true],
    ] as const) {
      const result = await run(url, throwOption);
      expect(result.summary.iterationErrors).toBe(0);
      expect(result.summary.metrics.after_request?.values.count).toBe(2);
    }
  });

  it('`preflight load run` shows where in the script the request failed, not preflight\u2019s own frames', async () => {
    const path = writeScript(`
import http from 'k6/http';
export const options = { iterations: 1, vus: 1, throw: true };
function fetchHome() {
  return http.get('${refusedUrl}');
}
export default function () {
  fetchHome();
}
`);
    const result = await runCli(['load', 'run', path, '--engine', 'native', '--json'], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`iteration failed: Error: Get "${refusedUrl}": dial: connection refused`);
    expect(result.stderr).toMatch(/at async fetchHome \(.*scenario\.js:\d+/);
    expect(result.stderr).not.toMatch(/k6-http\.[jt]s|node:internal/);
  });

  it('K6_THROW sets it over the script', () => {
    expect(applyEnvOptions({ throw: false }, { K6_THROW: 'true' }).throw).toBe(true);
    expect(applyEnvOptions({}, { K6_THROW: '0' }).throw).toBe(false);
    expect(() => applyEnvOptions({}, { K6_THROW: 'yes' })).toThrow('K6_THROW must be true or false');
  });
});
