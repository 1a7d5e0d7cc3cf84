// Smoke: the platform's public routes once per VU, with checks and thresholds. Portable: runs on k6 and on the native engine.
import { check, group, sleep } from 'k6';
import http from 'k6/http';
import { buildSearchPath, readPath } from '../../src/core/platform/discovery.js';
import { platform, routePath } from './lib/platform.js';
import { apiBase } from './lib/target.js';

export const options = {
  scenarios: {
    smoke: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.SMOKE_VUS ?? 2),
      iterations: Number(__ENV.SMOKE_ITERATIONS ?? 3),
      maxDuration: '1m',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<1000'],
    checks: ['rate>0.99'],
    'http_req_duration{name:search}': ['p(95)<1500'],
  },
};

function headers(): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (__ENV.ORIGIN) h.Origin = __ENV.ORIGIN;
  if (__ENV.BYPASS_HEADER && __ENV.BYPASS_TOKEN) h[__ENV.BYPASS_HEADER] = __ENV.BYPASS_TOKEN;
  return h;
}

export default async function () {
  const health = await http.asyncRequest('GET', `${apiBase}${routePath('health')}`, null, {
    headers: headers(),
    tags: { name: 'health' },
  });
  group('health', () => {
    check(health, { 'health is 200': (r) => r.status === 200 });
  });
  const search = await http.asyncRequest('GET', `${apiBase}${buildSearchPath(platform, 'piano')}`, null, {
    headers: headers(),
    tags: { name: 'search' },
  });
  group('search', () => {
    check(search, {
      'search is 200': (r) => r.status === 200,
      'search has results and meta': (r) => {
        const body = r.json();
        const meta = readPath(body, platform.search.metaField);
        return (
          Array.isArray(readPath(body, platform.search.resultsField)) &&
          typeof meta === 'object' &&
          meta !== null
        );
      },
    });
  });
  await sleep(0.1);
}
