// spike: the search and browse flows from a baseline to SPIKE_VUS within seconds, held, then back (launch-day
// traffic). -e DURATION sets the whole run (default 5m); the shape keeps its proportions. `--duration` flattens it
// to constant VUs, as k6's flag does.
import { browse } from './lib/browse.js';
import { readNumber, readString } from './lib/target.js';

const p95 = readNumber('SLO_P95_MS', 300);
const errorRate = readNumber('SLO_ERROR_RATE', 0.05);
const baseline = readNumber('BASELINE_VUS', 5);
const peak = readNumber('SPIKE_VUS', 100);
const totalSeconds = toSeconds(readString('DURATION', '5m'));

function toSeconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (!m) throw new Error(`Expected DURATION like 30s, 5m or 1h, got \`${duration}\``);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.max(5, Number(m[1]) * unit);
}

const part = (share: number) => `${Math.max(1, Math.round(totalSeconds * share))}s`;

export const options = {
  stages: [
    { duration: part(0.2), target: baseline },
    { duration: part(0.05), target: peak },
    { duration: part(0.35), target: peak },
    { duration: part(0.05), target: baseline },
    { duration: part(0.35), target: baseline },
  ],
  thresholds: {
    http_req_failed: [`rate<${errorRate}`],
    'http_req_duration{name:search}': [`p(95)<${p95}`],
    checks: ['rate>0.95'],
  },
};

export default async function () {
  await browse(readNumber('THINK_TIME', 0.5));
}
