// k6 docs, k6/encoding: b64encode/b64decode, and basic auth built by hand.

import { check } from 'k6';
import encoding from 'k6/encoding';
import http from 'k6/http';

export default function () {
  const str = 'hello world';
  const enc = 'aGVsbG8gd29ybGQ=';
  const expBin = new Uint8Array([104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100]);
  check(null, {
    'is encoding correct': () => encoding.b64encode(str) === enc,
    'is decoding to string correct': () => encoding.b64decode(enc, 'std', 's') === str,
    'is decoding to ArrayBuffer correct': () => {
      const bin = new Uint8Array(encoding.b64decode(enc));
      return bin.length === expBin.length && bin.every((b, i) => b === expBin[i]);
    },
    'rawstd has no padding': () => encoding.b64encode(str, 'rawstd') === 'aGVsbG8gd29ybGQ',
    'url alphabet': () => encoding.b64encode('\xfb\xff', 'url') === 'w7vDvw==',
    'rawurl alphabet': () => encoding.b64encode('\xfb\xff', 'rawurl') === 'w7vDvw',
  });

  const credentials = `user:passwd`;
  const options = { headers: { Authorization: `Basic ${encoding.b64encode(credentials)}` } };
  const res = http.get('https://httpbin.test.k6.io/basic-auth/user/passwd', options);
  check(res, { authenticated: (r) => r.status === 200 && r.json('authenticated') === true });
}
