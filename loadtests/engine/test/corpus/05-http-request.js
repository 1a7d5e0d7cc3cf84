// k6 docs, http.request(): the method as the first argument.

import { check } from 'k6';
import http from 'k6/http';

const url = 'https://httpbin.test.k6.io/post';

export default function () {
  const data = { name: 'Bert' };

  // Using a JSON string as body
  let res = http.request('POST', url, JSON.stringify(data), {
    headers: { 'Content-Type': 'application/json' },
  });
  check(res, { 'json body': (r) => r.json().json.name === 'Bert' });

  // Using an object as body, the headers will automatically include
  // 'Content-Type: application/x-www-form-urlencoded'.
  res = http.request('POST', url, data);
  check(res, { 'form body': (r) => r.json().form.name === 'Bert' });

  // An array is sent as the same field once per element.
  res = http.request('POST', url, { tag: ['a', 'b'] });
  check(res, { 'repeated form field': (r) => r.json('form.tag').join(',') === 'a,b' });
}
