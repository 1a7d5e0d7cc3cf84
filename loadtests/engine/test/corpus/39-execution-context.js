// k6 docs, k6/execution and __VU/__ITER: who runs which iteration.

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

export const options = { vus: 3, iterations: 9 };

export default function () {
  check(exec, {
    'vu id matches __VU': (e) => e.vu.idInTest === __VU,
    'iteration matches __ITER': (e) => e.vu.iterationInScenario === __ITER,
    'scenario name': (e) => e.scenario.name === 'default',
  });
  http.get(`https://httpbin.test.k6.io/anything/vu/${__VU}`, { tags: { name: 'per-vu' } });
}
