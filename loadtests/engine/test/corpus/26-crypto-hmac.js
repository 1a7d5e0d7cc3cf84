// k6 docs, k6/crypto hmac() and randomBytes().

import { check } from 'k6';
import crypto from 'k6/crypto';

export default function () {
  check(null, {
    'hmac sha256 hex': () =>
      crypto.hmac('sha256', 'a secret', 'my data', 'hex') ===
      '82f669c8fde13aef6d6977257588dc4953dfac505428f8fd6b52e19cd96d7ea5',
    'createHMAC matches hmac': () => {
      const h = crypto.createHMAC('sha256', 'a secret');
      h.update('my data');
      return h.digest('hex') === crypto.hmac('sha256', 'a secret', 'my data', 'hex');
    },
    'randomBytes size': () => crypto.randomBytes(42).byteLength === 42,
    'randomBytes differ': () => {
      const first = crypto.sha1(crypto.randomBytes(16), 'hex');
      const second = crypto.sha1(crypto.randomBytes(16), 'hex');
      return first !== second;
    },
  });
}
