// k6 docs, "HTTP Authentication": basic auth with the credentials in the URL.

import { check } from 'k6';
import http from 'k6/http';

const username = 'user';
const password = 'passwd';

export default function () {
  const credentials = `${username}:${password}`;
  const url = `https://${credentials}@httpbin.test.k6.io/basic-auth/${username}/${password}`;
  const res = http.get(url);

  check(res, {
    'status is 200': (r) => r.status === 200,
    'is authenticated': (r) => r.json().authenticated === true,
    'is correct user': (r) => r.json().user === username,
  });
}
