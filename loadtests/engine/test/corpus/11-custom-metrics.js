// k6 docs, "Create custom metrics": Counter, Gauge, Rate, Trend.

import { check } from 'k6';
import http from 'k6/http';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const myCounter = new Counter('my_counter');
const myGauge = new Gauge('my_gauge');
const myRate = new Rate('my_rate');
const myTrend = new Trend('waiting_time');

export const options = { iterations: 2 };

export default function () {
  const res = http.get('https://httpbin.test.k6.io/get');
  myCounter.add(1);
  myCounter.add(2, { tag1: 'myValue', tag2: 'myValue2' });
  myGauge.add(3);
  myRate.add(true);
  myRate.add(false);
  myTrend.add(res.timings.waiting);
  check(res, { 'is 200': (r) => r.status === 200 });
}
