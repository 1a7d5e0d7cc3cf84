// k6 docs, http.batch(): the array form, responses in request order.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const responses = http.batch([
    ['GET', 'https://httpbin.test.k6.io/anything/1', null, { tags: { ctype: 'html' } }],
    ['GET', 'https://httpbin.test.k6.io/anything/2', null, { tags: { ctype: 'css' } }],
    ['GET', 'https://httpbin.test.k6.io/anything/3', null, { tags: { ctype: 'images' } }],
  ]);
  check(responses[0], {
    'main page status was 200': (res) => res.status === 200,
  });
  check(responses, {
    'responses in order': (r) =>
      r[0].json('url').endsWith('/1') && r[1].json('url').endsWith('/2') && r[2].json('url').endsWith('/3'),
  });
}
