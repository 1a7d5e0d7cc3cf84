// k6 docs, "Data Uploads": a multipart request with http.file().

import { check, sleep } from 'k6';
import http from 'k6/http';

const txt = open('./data/upload.txt');

export default function () {
  const data = {
    field: 'this is a standard form field',
    file: http.file(txt, 'test.txt', 'text/plain'),
  };

  const res = http.post('https://httpbin.test.k6.io/post', data);
  check(res, {
    'form field': (r) => r.json('form.field') === 'this is a standard form field',
    'file content': (r) => r.json('files.file') === txt,
    'multipart type': (r) => r.json('headers.Content-Type').startsWith('multipart/form-data; boundary='),
  });
  sleep(0.1);
}
