// k6 docs, CookieJar.clear(); and a fresh jar for every iteration.

import { check } from 'k6';
import http from 'k6/http';

export const options = { iterations: 2, vus: 1 };

export default function () {
  const jar = http.cookieJar();
  check(jar.cookiesForURL('https://httpbin.test.k6.io/'), {
    'iteration starts with no cookies': (c) => Object.keys(c).length === 0,
  });
  jar.set('https://httpbin.test.k6.io/cookies', 'my_cookie', 'hello world');
  let res = http.get('https://httpbin.test.k6.io/cookies');
  check(res, { 'has cookie': (r) => r.json().cookies.my_cookie === 'hello world' });
  jar.clear('https://httpbin.test.k6.io/cookies');
  res = http.get('https://httpbin.test.k6.io/cookies');
  check(res, { 'cookie cleared': (r) => r.json().cookies.my_cookie === undefined });
}
