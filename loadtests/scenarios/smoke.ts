// Smoke: the sandbox's public routes once per VU, with checks and thresholds. Portable: runs on k6 and on the native engine.
import { check, group, sleep } from 'k6';
import http from 'k6/http';

const apiBase = __ENV.API_BASE ?? `${__ENV.BASE_URL ?? 'http://127.0.0.1:8000'}/api/v1`;

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
  const health = await http.asyncRequest('GET', `${apiBase}/health`, null, {
    headers: headers(),
    tags: { name: 'health' },
  });
  group('health', () => {
    check(health, { 'health is 200': (r) => r.status === 200 });
  });
  const search = await http.asyncRequest('GET', `${apiBase}/search?q=piano&limit=20`, null, {
    headers: headers(),
    tags: { name: 'search' },
  });
  group('search', () => {
    check(search, {
      'search is 200': (r) => r.status === 200,
      'search has results and meta': (r) => {
        const body = r.json() as { results?: unknown[]; meta?: unknown } | undefined;
        return Array.isArray(body?.results) && typeof body?.meta === 'object';
      },
    });
  });
  await sleep(0.1);
}
