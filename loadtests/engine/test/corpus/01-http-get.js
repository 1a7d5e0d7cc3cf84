// k6 docs, "Running k6": a GET and a check.

import { check, sleep } from 'k6';
import http from 'k6/http';

export default function () {
  const res = http.get('https://httpbin.test.k6.io/get');
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(0.1);
}
