// k6 docs, "HTTP Requests": a POST with a JSON body and headers.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const url = 'https://httpbin.test.k6.io/post';
  const payload = JSON.stringify({
    email: 'aaa',
    password: 'bbb',
  });

  const params = {
    headers: {
      'Content-Type': 'application/json',
    },
  };

  const res = http.post(url, payload, params);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'echoes the email': (r) => r.json('json.email') === 'aaa',
    'sent as JSON': (r) => r.json('headers.Content-Type') === 'application/json',
  });
}
