// k6 docs, options.userAgent.

import { check } from 'k6';
import http from 'k6/http';

export const options = {
  userAgent: 'MyK6UserAgentString/1.0',
};

export default function () {
  const res = http.get('https://httpbin.test.k6.io/user-agent');
  check(res, { 'user agent sent': (r) => r.json('user-agent') === 'MyK6UserAgentString/1.0' });
}
