import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScript } from '../../../test/scripts.js';
import { startServerProcess, startTestServer, type TestServer } from '../../../test/server.js';
import { runScenario } from '../../run.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const script = (scenarios: string, path = '/ok') =>
  writeScript(`
import http from 'k6/http';
export const options = { scenarios: ${scenarios} };
export default async function () {
  await http.asyncRequest('GET', __ENV.BASE_URL + '${path}');
}
`);

describe('arrival-rate executors (native engine, local server)', () => {
  it('constant-arrival-rate 200/s for 10 s achieves 2000 iterations +-2%', async () => {
    const path = script(
      `{ s: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '10s', preAllocatedVUs: 200, maxVUs: 1000 } }`,
    );
    // The target runs in its own process, as a real one does (engine stalls and server stalls stay independent).
    const target = await startServerProcess();
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      env: { BASE_URL: target.url },
      resultsDir: false,
    }).finally(() => target.close());
    const iterations = result.summary.metrics.iterations?.values.count ?? 0;
    const dropped = result.summary.metrics.dropped_iterations?.values.count ?? 0;
    expect({ iterations, dropped, sum: iterations + dropped }).toMatchObject({ sum: 2000 });
    expect(iterations, `dropped ${dropped}`).toBeGreaterThanOrEqual(1960);
    expect(iterations).toBeLessThanOrEqual(2040);
    // Both latencies are reported for arrival-rate executors.
    expect(result.summary.latency.corrected?.count).toBe(iterations);
    expect(result.summary.latency.uncorrected?.count).toBe(iterations);
  }, 30_000);

  it('ramping-arrival-rate follows its stages', async () => {
    // 0 -> 100/s over 2 s, 100/s for 2 s, 100 -> 0 over 2 s: 100 + 200 + 100 = 400 iterations.
    const path = script(
      `{ s: { executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 10, maxVUs: 50,
        stages: [{ duration: '2s', target: 100 }, { duration: '2s', target: 100 }, { duration: '2s', target: 0 }] } }`,
    );
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      env: { BASE_URL: server.url },
      resultsDir: false,
    });
    const iterations = result.summary.metrics.iterations?.values.count ?? 0;
    expect(iterations).toBeGreaterThanOrEqual(392);
    expect(iterations).toBeLessThanOrEqual(408);
    const perSecond = result.series.map((p) => p.iterations);
    // Seconds 0..5: ramp up (25, 75), plateau (100, 100), ramp down (75, 25).
    const expected = [25, 75, 100, 100, 75, 25];
    for (let i = 0; i < expected.length; i++)
      expect(Math.abs((perSecond[i] ?? 0) - expected[i]!)).toBeLessThanOrEqual(8);
  }, 30_000);

  it('counts dropped_iterations when VUs run out', async () => {
    // One VU, each iteration takes ~100 ms: about 10/s of the 50/s can start; the rest are dropped.
    const path = script(
      `{ s: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '2s', preAllocatedVUs: 1, maxVUs: 1 } }`,
      '/slow?delay=100',
    );
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      env: { BASE_URL: server.url },
      resultsDir: false,
    });
    const iterations = result.summary.metrics.iterations?.values.count ?? 0;
    const dropped = result.summary.metrics.dropped_iterations?.values.count ?? 0;
    expect(iterations + dropped).toBe(100);
    expect(dropped).toBeGreaterThan(60);
    expect(iterations).toBeGreaterThan(10);
    expect(result.series.reduce((s, p) => s + p.droppedIterations, 0)).toBe(dropped);
  }, 30_000);
});

describe('coordinated omission (native engine)', () => {
  it('the corrected p99 reflects a 1 s stall every 5 s, the uncorrected p99 does not', async () => {
    const stalling = await startTestServer({ stall: { everyMs: 5000, forMs: 1000 } });
    try {
      const path = script(
        `{ s: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '10s', preAllocatedVUs: 1, maxVUs: 1 } }`,
      );
      const result = await runScenario({
        scenario: path,
        engine: 'native',
        env: { BASE_URL: stalling.url },
        resultsDir: false,
      });
      const { corrected, uncorrected } = result.summary.latency;
      expect(uncorrected!.p99).toBeLessThan(200);
      expect(corrected!.p99).toBeGreaterThan(500);
      expect(uncorrected!.max).toBeGreaterThan(500);
    } finally {
      await stalling.close();
    }
  }, 30_000);
});
