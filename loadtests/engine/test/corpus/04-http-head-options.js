// k6 docs, k6/http: head and options.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const head = http.head('https://httpbin.test.k6.io/get');
  check(head, {
    'head is 200': (r) => r.status === 200,
    'head has no body': (r) => r.body.length === 0,
  });
  const res = http.options('https://httpbin.test.k6.io/get');
  check(res, { 'options lists GET': (r) => r.headers.Allow.includes('GET') });
}
