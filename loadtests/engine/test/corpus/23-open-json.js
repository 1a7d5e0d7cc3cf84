// k6 docs, open() and SharedArray: test data read once in the init context.

import { check } from 'k6';
import { SharedArray } from 'k6/data';
import http from 'k6/http';

const data = new SharedArray('users', () => JSON.parse(open('./data/users.json')).users);

export const options = { vus: 2, iterations: 4 };

export default function () {
  const user = data[__ITER % data.length];
  const res = http.post('https://httpbin.test.k6.io/anything/login', JSON.stringify(user), {
    headers: { 'Content-Type': 'application/json' },
  });
  check(res, { 'sent a user from the file': (r) => r.json('json.username').startsWith('user') });
}
