import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import { startTestServer, type TestServer } from '../../test/server.js';
import { runScenario } from '../run.js';
import { planScenario } from '../scenario/options.js';
import { getShare, segmentPlan } from './segments.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('--workers (worker threads)', () => {
  it('splits VUs, iterations and rates so the shares add up', () => {
    expect([0, 1, 2].map((i) => getShare(10, i, 3))).toEqual([3, 3, 4]);
    const plan = planScenario('s', {
      executor: 'constant-arrival-rate',
      rate: 90,
      duration: '1s',
      preAllocatedVUs: 5,
      maxVUs: 9,
    });
    const parts = [0, 1, 2].map((i) => segmentPlan(plan, i, 3)!);
    expect(parts.map((p) => p.rate)).toEqual([30, 30, 30]);
    expect(parts.reduce((s, p) => s + p.maxVUs, 0)).toBe(9);
  });

  it('runs the exact iteration count over two workers and merges metrics, checks and VU ids', async () => {
    const path = writeScript(`
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
const vuIds = new Trend('vu_id');
let mine = 0;
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 50 } }, thresholds: { checks: ['rate==1'] } };
export default async function () {
  mine++;
  vuIds.add(__VU);
  const res = await http.asyncRequest('GET', __ENV.BASE_URL + '/ok');
  check(res, { 'is 200': (r) => r.status === 200, 'own counter': () => mine === __ITER + 1 });
}
`);
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      workers: 2,
      env: { BASE_URL: server.url },
      resultsDir: false,
    });
    expect(result.summary.workers).toBe(2);
    expect(result.exitCode).toBe(0);
    expect(result.summary.metrics.iterations?.values.count).toBe(50);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(50);
    expect(result.summary.checks.find((c) => c.name === 'is 200')?.passes).toBe(50);
    expect(result.summary.metrics.vu_id?.values.min).toBe(1);
    expect(result.summary.metrics.vu_id?.values.max).toBe(4);
  }, 30_000);

  it('keeps an arrival rate across workers', async () => {
    const path = writeScript(`
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 100, duration: '3s', preAllocatedVUs: 10, maxVUs: 100 } } };
export default async function () { await http.asyncRequest('GET', __ENV.BASE_URL + '/ok'); }
`);
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      workers: 2,
      env: { BASE_URL: server.url },
      resultsDir: false,
    });
    const iterations = result.summary.metrics.iterations?.values.count ?? 0;
    const dropped = result.summary.metrics.dropped_iterations?.values.count ?? 0;
    expect(iterations + dropped).toBe(300);
    expect(iterations).toBeGreaterThanOrEqual(294);
    expect(result.series.reduce((s, p) => s + p.rps, 0)).toBe(result.summary.metrics.http_reqs?.values.count);
  }, 30_000);
});
