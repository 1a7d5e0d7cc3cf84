import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScript } from '../../../test/scripts.js';
import { startTestServer, type TestServer } from '../../../test/server.js';
import { runScenario } from '../../run.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const script = (scenarios: string, body = '') =>
  writeScript(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: ${scenarios} };
export default async function () {
  const res = await http.asyncRequest('GET', __ENV.BASE_URL + '/ok');
  check(res, { 'is 200': (r) => r.status === 200 });
  ${body}
}
`);

/** Runs the script on the native engine against the test server; `overrides` as CLI flags would set them. */
const run = (path: string, overrides: { vus?: number; iterations?: number } = {}) =>
  runScenario({
    scenario: path,
    engine: 'native',
    env: { BASE_URL: server.url },
    resultsDir: false,
    ...overrides,
  });

describe('iteration executors (native engine, local server)', () => {
  it('shared-iterations runs exactly the iteration count', async () => {
    const path = script(`{ s: { executor: 'shared-iterations', vus: 5, iterations: 37 } }`);
    const result = await run(path);
    expect(result.exitCode).toBe(0);
    expect(result.summary.metrics.iterations?.values.count).toBe(37);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(37);
    expect(result.summary.checks).toEqual([{ path: '::is 200', name: 'is 200', passes: 37, fails: 0 }]);
  });

  it('per-vu-iterations runs vus x iterations', async () => {
    const path = script(`{ s: { executor: 'per-vu-iterations', vus: 3, iterations: 4 } }`);
    const result = await run(path);
    expect(result.summary.metrics.iterations?.values.count).toBe(12);
  });

  it('CLI-style --iterations and --vus override the script scenarios (k6 precedence)', async () => {
    const path = script(`{ s: { executor: 'per-vu-iterations', vus: 3, iterations: 4 } }`);
    const result = await run(path, { vus: 2, iterations: 9 });
    expect(result.plans.map((p) => p.executor)).toEqual(['shared-iterations']);
    expect(result.summary.metrics.iterations?.values.count).toBe(9);
  });

  it('constant-vus keeps the VUs busy for the duration', async () => {
    const path = script(`{ s: { executor: 'constant-vus', vus: 2, duration: '1s' } }`);
    const result = await run(path);
    expect(result.summary.metrics.vus_max?.values.value).toBe(2);
    expect(result.summary.metrics.iterations?.values.count).toBeGreaterThan(10);
    expect(result.summary.durationMs).toBeGreaterThanOrEqual(1000);
    expect(result.summary.durationMs).toBeLessThan(5000);
  });
});
