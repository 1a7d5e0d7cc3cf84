// connection-loss: steady traffic on database routes (readiness, instructor listing, public availability), each
// iteration a page's worth of parallel requests so the platform's pool holds several connections. Under
// `preflight load run connection-loss` the launch layer terminates the platform's database sessions at
// CONNECTION_LOSS_AT seconds (and drops a configured PgBouncer's connections); its verdict is the error burst and the
// time until the error rate and p95 are back within the SLO. Run alone (plain k6), it is steady traffic whose failed
// requests must stay under CL_MAX_FAILED_RATE while someone else cuts the connections.
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { buildAvailabilityPath, buildInstructorsPath } from '../../src/core/platform/discovery.js';
import { platform, routePath } from './lib/platform.js';
import { type DiscoveredInstructors, discoverInstructors, pickRandom } from './lib/slots.js';
import { apiBase, buildHeaders, readNumber, readString } from './lib/target.js';

// answers 429: a rate limit, not the connection loss, failed them (the launch layer says so in its verdict)
const rateLimited = new Counter('connection_loss_rate_limited');

export const options = {
  scenarios: {
    connection_loss: {
      executor: 'constant-vus',
      vus: readNumber('CL_VUS', 4),
      duration: readString('DURATION', '12s'),
      gracefulStop: '5s',
    },
  },
  thresholds: {
    http_req_failed: [`rate<=${readNumber('CL_MAX_FAILED_RATE', 0.01)}`],
  },
};

export async function setup() {
  return await discoverInstructors();
}

type Data = DiscoveredInstructors;

function requestOne(data: Data, kind: number) {
  const params = { headers: buildHeaders(), timeout: '10s' };
  const catalogId = pickRandom(data.catalogIds);
  if (kind === 0 || !catalogId) {
    const id = pickRandom(data.instructors) as string;
    return http.asyncRequest('GET', `${apiBase}${buildAvailabilityPath(platform, id, 1, 7)}`, null, {
      ...params,
      tags: { name: 'availability' },
    });
  }
  if (kind === 1)
    return http.asyncRequest('GET', `${apiBase}${buildInstructorsPath(platform, catalogId, 1, 20)}`, null, {
      ...params,
      tags: { name: 'instructors' },
    });
  return http.asyncRequest('GET', `${apiBase}${routePath('ready')}`, null, {
    ...params,
    tags: { name: 'ready' },
  });
}

export default async function (data: Data) {
  const parallel = readNumber('CL_PARALLEL', 4);
  const responses = await Promise.all(Array.from({ length: parallel }, (_, i) => requestOne(data, i % 3)));
  for (const r of responses) {
    check(r, { 'database route is 200': (res) => res.status === 200 });
    if (r.status === 429) rateLimited.add(1);
  }
  await sleep(readNumber('CL_PAUSE', 0.5));
}
