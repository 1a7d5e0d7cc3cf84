// search-mix: weighted natural-language queries (common, long-tail, price-constrained, misspelled) at a ramping
// arrival rate, with p95/p99 and error-rate thresholds per tier. Portable: runs on k6 and on the native engine.
import { buildArrivalScenario } from './lib/profile.js';
import { pickTier, readWeights, type SearchTier, search } from './lib/search.js';
import { readNumber } from './lib/target.js';

const p95 = readNumber('SLO_P95_MS', 300);
const p99 = readNumber('SLO_P99_MS', 1000);
const errorRate = readNumber('SLO_ERROR_RATE', 0.01);
const weights = readWeights(__ENV.SEARCH_WEIGHTS);
const tiers: SearchTier[] = ['common', 'long_tail', 'price', 'misspelled'];

export const options = {
  scenarios: {
    search_mix: buildArrivalScenario({
      startRate: 5,
      peakRate: 50,
      ramp: '30s',
      hold: '1m',
      preAllocatedVUs: 20,
      maxVUs: 200,
    }),
  },
  thresholds: Object.fromEntries([
    ['http_req_failed', [`rate<${errorRate}`]],
    ['checks', ['rate>0.99']],
    ...tiers.flatMap((tier) => [
      [`http_req_duration{tier:${tier}}`, [`p(95)<${p95}`, `p(99)<${p99}`]],
      [`http_req_failed{tier:${tier}}`, [`rate<${errorRate}`]],
    ]),
  ]),
};

export default async function () {
  await search(pickTier(weights));
}
