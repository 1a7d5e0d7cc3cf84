// k6 docs, options.maxRedirects and params.redirects.

import { check } from 'k6';
import http from 'k6/http';

export const options = {
  maxRedirects: 2,
};

export default function () {
  const followed = http.get('https://httpbin.test.k6.io/redirect/2');
  check(followed, {
    'followed both redirects': (r) => r.status === 200 && r.url === 'https://httpbin.test.k6.io/get',
  });
  const stopped = http.get('https://httpbin.test.k6.io/redirect/3');
  check(stopped, { 'stopped after maxRedirects': (r) => r.status === 302 });
  const none = http.get('https://httpbin.test.k6.io/redirect/1', { redirects: 0 });
  check(none, {
    'not followed': (r) => r.status === 302,
    'location given': (r) => r.headers.Location === '/get',
  });
}
