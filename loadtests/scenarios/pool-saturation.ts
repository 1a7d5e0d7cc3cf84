// pool-saturation: a ramping arrival rate on database-heavy routes (instructor listing with its aggregate query,
// public availability) until the target's connection pool saturates. Its verdict is preflight's bottleneck report:
// the request rate at which pool usage reaches 100%, p95 crosses the SLO, and errors/timeouts appear. The only
// threshold stops a run that has clearly fallen over.
import { check } from 'k6';
import http from 'k6/http';
import { buildAvailabilityPath, buildInstructorsPath } from '../../src/core/platform/discovery.js';
import { platform } from './lib/platform.js';
import { buildArrivalScenario } from './lib/profile.js';
import { discoverInstructors, pickRandom } from './lib/slots.js';
import { apiBase, buildHeaders } from './lib/target.js';

export const options = {
  scenarios: {
    pool_saturation: buildArrivalScenario({
      startRate: 10,
      peakRate: 400,
      ramp: '2m',
      hold: '0s',
      preAllocatedVUs: 100,
      maxVUs: 500,
    }),
  },
  thresholds: {
    http_req_failed: [{ threshold: 'rate<0.9', abortOnFail: true, delayAbortEval: '5s' }],
  },
};

export async function setup() {
  return await discoverInstructors();
}

export default async function (data: { instructors: string[]; catalogIds: string[] }) {
  const params = { headers: buildHeaders(), timeout: '10s' };
  const catalogId = pickRandom(data.catalogIds);
  if (catalogId && Math.random() < 0.5) {
    const page = 1 + Math.floor(Math.random() * 3);
    const r = await http.asyncRequest(
      'GET',
      `${apiBase}${buildInstructorsPath(platform, catalogId, page, 50)}`,
      null,
      {
        ...params,
        tags: { name: 'instructors' },
      },
    );
    check(r, { 'instructors is 200': (res) => res.status === 200 });
  } else {
    const id = pickRandom(data.instructors) as string;
    const r = await http.asyncRequest(
      'GET',
      `${apiBase}${buildAvailabilityPath(platform, id, 1, 14)}`,
      null,
      { ...params, tags: { name: 'availability' } },
    );
    check(r, { 'availability is 200': (res) => res.status === 200 });
  }
}
