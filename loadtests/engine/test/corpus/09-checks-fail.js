// k6 docs, "Checks": a failing check does not stop the iteration.
import { check } from 'k6';
import http from 'k6/http';

export const options = { iterations: 3 };

export default function () {
  const res = http.get('https://httpbin.test.k6.io/status/404');
  check(res, {
    'is status 200': (r) => r.status === 200,
    'is status 404': (r) => r.status === 404,
  });
  check(res, { 'body size is 0 bytes': (r) => r.body.length === 0 });
}
