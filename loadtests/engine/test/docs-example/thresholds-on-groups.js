// In the words of k6's documentation ("Thresholds on groups", with a check from "Checks" and a Trend from
// "Create custom metrics"); run unchanged by docs-example.test.ts through `preflight load run`.

import { check, group, sleep } from 'k6';
import http from 'k6/http';
import { Trend } from 'k6/metrics';

const myTrend = new Trend('waiting_time');

export const options = {
  thresholds: {
    'group_duration{group:::individualRequests}': ['avg < 400'],
    'group_duration{group:::batchRequests}': ['avg < 200'],
    'http_req_duration{type:API}': ['p(95)<500'],
  },
  vus: 1,
  iterations: 3,
};

export default function () {
  group('individualRequests', () => {
    const res = http.get('https://httpbin.test.k6.io/anything/crocodiles/1/', { tags: { type: 'API' } });
    myTrend.add(res.timings.waiting);
    check(res, { 'is status 200': (r) => r.status === 200 });
    http.get('https://httpbin.test.k6.io/anything/crocodiles/2/', { tags: { type: 'API' } });
  });

  group('batchRequests', () => {
    http.batch([
      ['GET', 'https://httpbin.test.k6.io/anything/crocodiles/1/'],
      ['GET', 'https://httpbin.test.k6.io/anything/crocodiles/2/'],
    ]);
  });

  sleep(0.1);
}
