// The resource sampler against a real loopback HTTP server: it reads the target's metric names, sends the target's
// rate-limit bypass header (so it never spends the budget a conformance run measures) and stays behind the host guard.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/load.js';
import { defaultPlatform } from '../../src/core/platform/defaults.js';
import { resolveTarget } from '../../src/core/target.js';
import { startSampler, startTargetSampler } from './sampler.js';

/** A platform exporting its pool and in-flight metrics under other names. */
const renamed = {
  poolUsagePercent: 'shop_pool_usage_percent',
  poolCheckedOut: 'shop_pool_checked_out',
  poolSize: 'shop_pool_size',
  poolOverflow: 'shop_pool_overflow',
  httpInProgress: 'shop_http_in_flight',
};

const exposition = [
  '# TYPE shop_pool_usage_percent gauge',
  'shop_pool_usage_percent{pool_name="api"} 93.5',
  'shop_pool_checked_out{pool_name="api"} 15',
  'shop_pool_size{pool_name="api"} 16',
  'shop_pool_overflow{pool_name="api"} 4',
  'shop_http_in_flight{method="GET"} 7',
  // the spec's name with another value: read only if the profile were ignored
  `${defaultPlatform.metrics.poolUsagePercent}{pool_name="default"} 12`,
].join('\n');

let server: Server;
let baseUrl: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url !== '/v2/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(exposition);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function resolveShop(bypassToken: string | undefined) {
  const config = validateConfig({
    targets: {
      shop: {
        baseUrl,
        environment: 'shop-test',
        rateLimitBypass: { header: 'X-Shop-Bypass', tokenEnv: 'SHOP_BYPASS' },
        platform: { apiPrefix: '/v2', metrics: renamed, routes: { metrics: { path: '/metrics' } } },
      },
    },
  });
  return resolveTarget(config, 'shop', { env: bypassToken ? { SHOP_BYPASS: bypassToken } : {} });
}

describe('resource sampler', () => {
  it("reads the target's metric names and sends its bypass header", async () => {
    seen.length = 0;
    const sampler = startTargetSampler(resolveShop('sampler-bypass-token'), { intervalMs: 60_000 });
    const [sample] = await sampler.stop();
    expect(sample?.errors).toEqual([]);
    expect(sample?.pool).toEqual({ usagePercent: 93.5, checkedOut: 15, size: 16, waiting: 4 });
    expect(sample?.inProgress).toBe(7);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.['x-shop-bypass']).toBe('sampler-bypass-token');
  });

  it('sends no bypass header when the target has none', async () => {
    seen.length = 0;
    const [sample] = await startTargetSampler(resolveShop(undefined), { intervalMs: 60_000 }).stop();
    expect(sample?.pool?.usagePercent).toBe(93.5);
    expect(seen[0]?.['x-shop-bypass']).toBeUndefined();
  });

  it('refuses a metrics URL outside the target (host guard) and records it instead of sending', async () => {
    seen.length = 0;
    const target = resolveShop('sampler-bypass-token');
    const outside = `http://localhost:${new URL(baseUrl).port}/v2/metrics`;
    const [sample] = await startSampler({ target, metricsUrl: outside, intervalMs: 60_000 }).stop();
    expect(sample?.pool).toBeUndefined();
    expect(sample?.errors[0]).toMatch(/^metrics: Refusing to send traffic to localhost/);
    expect(seen).toHaveLength(0);
  });
});
