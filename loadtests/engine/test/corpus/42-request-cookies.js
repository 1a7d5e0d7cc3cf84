// k6 docs, "Cookies": request cookies, replacing a jar cookie, and a local cookie jar.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  // a simple request cookie
  let res = http.get('https://httpbin.test.k6.io/cookies', {
    cookies: {
      my_cookie: 'hello world',
    },
  });
  check(res, {
    'request cookie sent': (r) => r.json().cookies.my_cookie === 'hello world',
    'request shows it': (r) => r.request.cookies.my_cookie[0].value === 'hello world',
  });

  // a request cookie that replaces the jar's cookie of the same name
  const jar = http.cookieJar();
  jar.set('https://httpbin.test.k6.io/cookies', 'my_cookie', 'hello world');
  res = http.get('https://httpbin.test.k6.io/cookies', {
    cookies: {
      my_cookie: {
        value: 'hello world 2',
        replace: true,
      },
    },
  });
  check(res, { 'cookie has correct value': (r) => r.json().cookies.my_cookie === 'hello world 2' });

  // a local jar instead of the VU's
  const localJar = new http.CookieJar();
  localJar.set('https://httpbin.test.k6.io/cookies', 'local_cookie', 'local');
  res = http.get('https://httpbin.test.k6.io/cookies', { jar: localJar });
  check(res, {
    'local jar used': (r) => r.json().cookies.local_cookie === 'local',
    'VU jar not used': (r) => r.json().cookies.my_cookie === undefined,
  });
}
