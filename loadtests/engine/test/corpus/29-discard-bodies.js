// k6 docs, options.discardResponseBodies, with responseType 'text' where the body is needed.

import { check } from 'k6';
import http from 'k6/http';

export const options = {
  discardResponseBodies: true,
};

export default function () {
  const discarded = http.get('https://httpbin.test.k6.io/get');
  check(discarded, {
    'status still known': (r) => r.status === 200,
    'body discarded': (r) => r.body === null,
  });
  const kept = http.get('https://httpbin.test.k6.io/get', { responseType: 'text' });
  check(kept, { 'body kept on request': (r) => r.json('url') === 'https://httpbin.test.k6.io/get' });
}
