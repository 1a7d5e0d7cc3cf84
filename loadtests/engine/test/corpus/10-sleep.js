// k6 docs, sleep(): pauses the VU between requests.
import { sleep } from 'k6';
import http from 'k6/http';

export const options = { vus: 2, iterations: 4 };

export default function () {
  http.get('https://httpbin.test.k6.io/delay/0');
  sleep(Math.random() * 0.2);
  http.get('https://httpbin.test.k6.io/get');
}
