// k6 docs, k6/http: put, patch and del.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const headers = { 'Content-Type': 'application/json' };
  const data = { name: 'Bert' };

  const put = http.put('https://httpbin.test.k6.io/put', JSON.stringify(data), { headers: headers });
  check(put, { 'put echoes name': (r) => JSON.parse(r.body).json.name === 'Bert' });

  const patch = http.patch('https://httpbin.test.k6.io/patch', JSON.stringify(data), { headers: headers });
  check(patch, { 'patch echoes name': (r) => r.json().json.name === 'Bert' });

  const del = http.del('https://httpbin.test.k6.io/delete', null, { headers: headers });
  check(del, { 'delete is 200': (r) => r.status === 200 });
}
