import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/index.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { writeScript } from '../test/scripts.js';
import { runScenario } from './run.js';

const smokePath = fileURLToPath(new URL('../scenarios/smoke.ts', import.meta.url));
let sandbox: SandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ dir: makeTempDir('preflight-load-sandbox-') });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('scenarios against the sandbox (native engine)', () => {
  it('smoke passes: checks and thresholds hold', async () => {
    const result = await runScenario({
      scenario: 'smoke',
      engine: 'native',
      target: sandbox.target,
      resultsDir: false,
    });
    expect(result.summary.status).toBe('passed');
    expect(result.exitCode).toBe(0);
    expect(result.summary.metrics.checks?.values.fails).toBe(0);
    expect(result.summary.metrics.http_reqs?.values.count).toBeGreaterThanOrEqual(2);
    expect(result.summary.thresholds.every((t) => t.ok)).toBe(true);
  }, 60_000);

  it('a threshold set to fail exits 1', async () => {
    const path = writeScript(`
import smoke from ${JSON.stringify(smokePath)};
export default smoke;
export const options = {
  scenarios: { smoke: { executor: 'per-vu-iterations', vus: 1, iterations: 2 } },
  thresholds: { http_req_duration: ['avg<0.001'], http_req_failed: ['rate<0.01'] },
};
`);
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      target: sandbox.target,
      resultsDir: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.summary.thresholds.map((t) => [t.source, t.ok])).toEqual([
      ['avg<0.001', false],
      ['rate<0.01', true],
    ]);
  }, 60_000);

  it('abortOnFail stops the run early', async () => {
    const path = writeScript(`
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s' } },
  thresholds: { checks: [{ threshold: 'rate>0.99', abortOnFail: true, delayAbortEval: '1s' }] },
};
export default async function () {
  const res = await http.asyncRequest('GET', __ENV.API_BASE + '/health', null, { headers: { [__ENV.BYPASS_HEADER]: __ENV.BYPASS_TOKEN } });
  check(res, { 'health answers 418 (it never does)': (r) => r.status === 418 });
}
`);
    const started = Date.now();
    const result = await runScenario({
      scenario: path,
      engine: 'native',
      target: sandbox.target,
      resultsDir: false,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.exitCode).toBe(1);
    expect(result.summary.abort?.kind).toBe('thresholds');
    expect(result.summary.durationMs).toBeLessThan(10_000);
  }, 60_000);
});
