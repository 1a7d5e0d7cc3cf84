import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/core/config/load.js';
import { resolveTarget } from '../src/core/target.js';
import { BudgetExceededError, ScanHttp } from './http.js';
import { planScan, runScan } from './scan.js';
import { type LocalServer, startLocalServer } from './test/context.js';

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const targetFor = (baseUrl: string) =>
  resolveTarget(validateConfig({ targets: { local: { baseUrl } } }), 'local', { env: {} });

describe('scanner HTTP layer', () => {
  it('keeps at most --concurrency requests in flight and stops at the budget', async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startLocalServer(async (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(30);
      inFlight--;
      res.end('{}');
    });
    const http = new ScanHttp(targetFor(server.url), { budget: 20, concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, () => http.send({ path: '/health' })));
    expect(peak).toBe(3);
    await expect(http.send({ path: '/health' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(http.requestCount).toBe(20);
  });

  it('refuses hosts the target does not allow', () => {
    const http = new ScanHttp(targetFor('http://127.0.0.1:9'), { budget: 10, concurrency: 1 });
    expect(() => http.reserve('https://example.com/')).toThrow(/Refusing to send traffic to example\.com/);
    expect(http.requestCount).toBe(0);
  });

  it('a scan never sends more than its budget: probes that hit it are marked incomplete', async () => {
    server = await startLocalServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"healthy"}');
    });
    const result = await runScan(planScan(targetFor(server.url), { budget: 60, concurrency: 4 }));
    expect(result.requests).toBeLessThanOrEqual(60);
    expect(
      result.probes.some(
        (p) => p.status === 'incomplete' && p.notes[0] === 'stopped: request budget of 60 exhausted',
      ),
    ).toBe(true);
  });
});
