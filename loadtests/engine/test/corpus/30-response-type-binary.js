// k6 docs, params.responseType: 'binary' gives an ArrayBuffer, 'none' no body.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const bin = http.get('https://httpbin.test.k6.io/bytes/16', { responseType: 'binary' });
  check(bin, {
    'binary body is an ArrayBuffer': (r) => r.body instanceof ArrayBuffer,
    'sixteen bytes': (r) => r.body.byteLength === 16,
  });
  const none = http.get('https://httpbin.test.k6.io/bytes/16', { responseType: 'none' });
  check(none, { 'no body': (r) => r.body === null });
  const text = http.get('https://httpbin.test.k6.io/base64/aGVsbG8gd29ybGQ=');
  check(text, { 'text body': (r) => r.body === 'hello world' });
}
