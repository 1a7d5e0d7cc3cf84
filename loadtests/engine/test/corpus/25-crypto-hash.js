// k6 docs, k6/crypto: hashes in hex and base64, and createHash().

import { check } from 'k6';
import crypto from 'k6/crypto';

export default function () {
  check(null, {
    'md5 hex': () => crypto.md5('hello world!', 'hex') === 'fc3ff98e8c6a0d3087d515c0473f8677',
    'sha1 hex': () => crypto.sha1('hello world!', 'hex') === '430ce34d020724ed75a196dfc2ad67c77772d169',
    'sha256 hex': () =>
      crypto.sha256('hello world!', 'hex') ===
      '7509e5bda0c762d2bac7f90d758b5b2263fa01ccbc542ab5e3df163be08e6ca9',
    'sha256 base64': () =>
      crypto.sha256('hello world!', 'base64') === 'dQnlvaDHYtK6x/kNdYtbImP6Acy8VCq1498WO+CObKk=',
    'sha384 length': () => crypto.sha384('hello world!', 'hex').length === 96,
    'sha512 length': () => crypto.sha512('hello world!', 'hex').length === 128,
  });
  const hasher = crypto.createHash('sha256');
  hasher.update('hello ');
  hasher.update('world!');
  check(hasher, {
    'createHash in parts': (h) =>
      h.digest('hex') === '7509e5bda0c762d2bac7f90d758b5b2263fa01ccbc542ab5e3df163be08e6ca9',
  });
}
