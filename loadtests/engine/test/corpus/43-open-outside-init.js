// k6 docs, open(): "only available in the init context" — a call from the default function fails its iteration.

import { check } from 'k6';
import http from 'k6/http';

const users = JSON.parse(open('./data/users.json')).users;

export const options = { iterations: 2 };

export default function () {
  check(users, { 'read in the init context': (u) => u.length === 2 });
  http.get('https://httpbin.test.k6.io/get');
  open('./data/upload.txt');
  check(null, { 'never reached': () => true });
}
