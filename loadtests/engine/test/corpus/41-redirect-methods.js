// k6 follows redirects as Go's client does: 301/302/303 become a GET without the body, 307/308 keep both,
// and credentials stay with their domain.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const put = http.put('https://httpbin.test.k6.io/redirect-to?url=%2Fanything&status_code=302', 'data');
  check(put, { '302 turns PUT into GET': (r) => r.json('method') === 'GET' && r.json('data') === '' });

  const keep = http.put('https://httpbin.test.k6.io/redirect-to?url=%2Fanything&status_code=307', 'data');
  check(keep, {
    '307 keeps the method and body': (r) => r.json('method') === 'PUT' && r.json('data') === 'data',
  });

  const params = { headers: { Authorization: 'Bearer secret' } };
  const other = http.get(
    'https://httpbin.test.k6.io/redirect-to?url=https%3A%2F%2Fhttpbin.org%2Fheaders',
    params,
  );
  check(other, {
    'authorization not sent to another host': (r) => r.json('headers.Authorization') === undefined,
  });

  const same = http.get('https://httpbin.test.k6.io/redirect-to?url=%2Fheaders', params);
  check(same, {
    'authorization kept on the same host': (r) => r.json('headers.Authorization') === 'Bearer secret',
  });
}
