// k6 docs, open(filePath, 'b') and a binary file upload.

import { check } from 'k6';
import http from 'k6/http';

const binFile = open('./data/pixel.png', 'b');

export default function () {
  const data = {
    field: 'this is a standard form field',
    file: http.file(binFile, 'pixel.png', 'image/png'),
  };
  const res = http.post('https://httpbin.test.k6.io/post', data);
  check(binFile, { 'binary file is 70 bytes': (b) => b.byteLength === 70 });
  check(res, {
    'image uploaded as a data URL': (r) =>
      r.json('files.file').startsWith('data:image/png;base64,iVBORw0KGgo'),
  });
}
