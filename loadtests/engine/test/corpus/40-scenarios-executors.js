// k6 docs, "Scenarios": two executors with their own functions and tags.

import { check, sleep } from 'k6';
import http from 'k6/http';

export const options = {
  scenarios: {
    browse: {
      executor: 'shared-iterations',
      vus: 2,
      iterations: 10,
      exec: 'browse',
      tags: { flow: 'browse' },
    },
    buy: {
      executor: 'per-vu-iterations',
      vus: 2,
      iterations: 2,
      exec: 'buy',
      startTime: '0s',
    },
  },
};

export function browse() {
  const res = http.get('https://httpbin.test.k6.io/anything/browse');
  check(res, { 'browse ok': (r) => r.status === 200 });
}

export function buy() {
  const res = http.post('https://httpbin.test.k6.io/anything/buy', { item: 'x' });
  check(res, { 'buy ok': (r) => r.status === 200 });
  sleep(0.05);
}
