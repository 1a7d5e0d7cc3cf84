// Coordinated omission over time: an arrival-rate run on the native engine writes corrected percentiles per second
// into timeseries.json, and the report draws them beside the uncorrected ones (a constant-VUs run has none).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../loadtests/engine/run.js';
import { writeScript } from '../../loadtests/test/scripts.js';
import { startTestServer, type TestServer } from '../../loadtests/test/server.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { writeReport } from './write.js';

interface Point {
  p95: number;
  p95Corrected?: number;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function run(scenarios: string): Promise<{ dir: string; points: Point[] }> {
  const path = writeScript(`
import http from 'k6/http';
export const options = { scenarios: ${scenarios} };
export default async function () {
  await http.asyncRequest('GET', __ENV.BASE_URL + '/ok');
}
`);
  const result = await runScenario({
    scenario: path,
    engine: 'native',
    env: { BASE_URL: server.url },
    resultsDir: makeTempDir('preflight-report-co-'),
  });
  const dir = result.resultsDir ?? '';
  const series = JSON.parse(readFileSync(join(dir, 'timeseries.json'), 'utf8')) as { points: Point[] };
  return { dir, points: series.points };
}

describe('corrected latency over time (native engine, local server)', () => {
  it('an arrival-rate run records corrected p95 per second and the report draws it', async () => {
    const { dir, points } = await run(
      `{ s: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '3s', preAllocatedVUs: 5, maxVUs: 20 } }`,
    );
    const measured = points.filter((p) => p.p95 > 0);
    expect(measured.length).toBeGreaterThan(0);
    for (const p of measured) expect(p.p95Corrected).toBeGreaterThanOrEqual(p.p95);
    const html = readFileSync((await writeReport({ dir, env: {} })).html, 'utf8');
    expect(html).toContain('"label":"p95 corrected"');
    expect(html).not.toContain('corrected latency over time: not recorded');
  }, 60_000);

  it('a constant-VUs run has no corrected series', async () => {
    const { points } = await run(`{ s: { executor: 'constant-vus', vus: 2, duration: '2s' } }`);
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((p) => p.p95Corrected === undefined)).toBe(true);
  }, 60_000);
});
