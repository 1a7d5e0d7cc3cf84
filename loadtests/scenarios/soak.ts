// soak: the search and browse flows at a steady number of VUs for a long time (memory leaks, pool creep, slow drift).
// The duration comes from the command line: `-e DURATION=2h` or `--duration 2h` (k6's flag).
import { browse } from './lib/browse.js';
import { readNumber, readString } from './lib/target.js';

const p95 = readNumber('SLO_P95_MS', 300);
const errorRate = readNumber('SLO_ERROR_RATE', 0.01);

export const options = {
  vus: readNumber('VUS', 20),
  duration: readString('DURATION', '30m'),
  thresholds: {
    http_req_failed: [`rate<${errorRate}`],
    'http_req_duration{name:search}': [`p(95)<${p95}`],
    'http_req_duration{name:availability}': [`p(95)<${p95}`],
    checks: ['rate>0.99'],
  },
};

export default async function () {
  await browse(readNumber('THINK_TIME', 1));
}
