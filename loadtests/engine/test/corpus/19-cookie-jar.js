// k6 docs, CookieJar.set() and cookiesForURL().

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const jar = http.cookieJar();
  jar.set('https://httpbin.test.k6.io/cookies', 'my_cookie', 'hello world', {
    domain: 'httpbin.test.k6.io',
    path: '/cookies',
    secure: true,
    max_age: 600,
  });
  const res = http.get('https://httpbin.test.k6.io/cookies');
  check(res, {
    'has status 200': (r) => r.status === 200,
    "has cookie 'my_cookie'": (r) => r.json().cookies.my_cookie !== null,
    'cookie has correct value': (r) => r.json().cookies.my_cookie === 'hello world',
  });
  const cookiesForURL = jar.cookiesForURL('https://httpbin.test.k6.io/cookies');
  check(cookiesForURL, { 'cookiesForURL lists it': (c) => c.my_cookie[0] === 'hello world' });
  const elsewhere = jar.cookiesForURL('https://httpbin.test.k6.io/get');
  check(elsewhere, { 'not for another path': (c) => c.my_cookie === undefined });
}
