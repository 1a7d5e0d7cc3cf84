// A realistic journey in k6's documented style: log in with a form, keep the session cookie, call the API.

import { check, group, sleep } from 'k6';
import http from 'k6/http';
import { Trend } from 'k6/metrics';

const loginTime = new Trend('login_time', true);

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

const BASE = 'https://httpbin.test.k6.io';

export default function () {
  group('login', () => {
    const page = http.get(`${BASE}/forms/post`);
    check(page, { 'login page loaded': (r) => r.status === 200 });
    const res = page.submitForm({ fields: { custname: `vu${__VU}`, custemail: 'vu@example.com' } });
    loginTime.add(res.timings.duration);
    check(res, { 'logged in': (r) => r.json('form.custname') === `vu${__VU}` });
    http.get(`${BASE}/cookies/set?session=${__VU}-${__ITER}`);
  });
  group('api', () => {
    const res = http.get(`${BASE}/cookies`);
    check(res, { 'session cookie sent': (r) => r.json('cookies.session') === `${__VU}-${__ITER}` });
    const order = http.post(`${BASE}/anything/orders`, JSON.stringify({ item: 'pizza' }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { name: 'create order' },
    });
    check(order, { 'order accepted': (r) => r.json('json.item') === 'pizza' });
  });
  sleep(0.1);
}
