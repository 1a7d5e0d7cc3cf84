/** Resource limits (API4): write-route rate limit, client-IP header spoofing against the login limit, 413 for big bodies, page-size bound. */
import { randomBytes } from 'node:crypto';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import type { ProbeResponse } from '../http.js';
import type { Probe, ProbeContext } from '../probe.js';
import { sendAttempts } from './attempts.js';

const limited = (response: ProbeResponse) => response.status === 429;
const spoofHeaders = ['x-forwarded-for', 'cf-connecting-ip', 'x-real-ip'];

export const resourceProbe: Probe = {
  name: 'resource',
  description:
    'Rate limits on login and write routes, spoofed client-IP headers, 413 over 1 MiB, oversized page size',
  phase: 'limits',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    findings.push(...(await checkBodyLimit(context, notes)));
    findings.push(...(await checkPageSize(context)));
    findings.push(...(await checkWriteRateLimit(context, notes)));
    findings.push(...(await checkSpoofBypass(context, notes)));
    return { findings, notes };
  },
};

async function checkBodyLimit(context: ProbeContext, notes: string[]): Promise<Finding[]> {
  const token = await context.session.login('studentA');
  if (!token) {
    notes.push('body size not checked: no studentA account');
    return [];
  }
  const padding = 'x'.repeat(1024 * 1024 + 256 * 1024);
  const response = await context.http.send({
    method: 'POST',
    path: '/bookings/check-availability',
    token,
    json: { instructor_id: 'x', padding },
  });
  if (response.status === 413) return [];
  return [
    createFinding('BODY-SIZE-UNLIMITED', {
      method: 'POST',
      path: response.path,
      detail: `A 1.25 MiB JSON body got HTTP ${response.status} instead of 413`,
      evidence: formatEvidence(
        {
          ...response,
          requestBody: `{"instructor_id":"x","padding":"xxx... (${padding.length} characters)"}`,
        },
        { bodyChars: 200 },
      ),
      confidence: response.status >= 500 ? 'tentative' : 'firm',
    }),
  ];
}

async function checkPageSize(context: ProbeContext): Promise<Finding[]> {
  const response = await context.http.send({
    method: 'GET',
    path: '/instructors',
    query: { per_page: 1000, page: 1 },
  });
  if (response.status < 200 || response.status >= 300) return [];
  let echoed: unknown;
  try {
    echoed = response.json<{ per_page?: unknown }>().per_page;
  } catch {}
  if (echoed !== undefined && echoed !== 1000) return [];
  return [
    createFinding('PAGE-SIZE-UNBOUNDED', {
      method: 'GET',
      path: response.path,
      detail: `per_page=1000 was accepted (HTTP ${response.status}); the documented maximum is 100`,
      evidence: formatEvidence(response, { bodyChars: 200 }),
      confidence: 'firm',
    }),
  ];
}

/** Empty booking requests (they fail validation, nothing is created) without the bypass header until 429. */
async function checkWriteRateLimit(context: ProbeContext, notes: string[]): Promise<Finding[]> {
  const token = await context.session.login('studentB');
  if (!token) {
    notes.push('write-route rate limit not checked: no studentB account');
    return [];
  }
  const limit = context.target.rateLimits.bookingsPerUserPerMinute;
  const outcome = await sendAttempts(
    limit + 2,
    () => context.http.send({ method: 'POST', path: '/bookings', token, bypass: false, json: {} }),
    (response) => limited(response) || response.status === 401 || response.status === 403,
    4,
  );
  if (outcome.throttled && !limited(outcome.throttled.response)) {
    notes.push(
      `write-route rate limit not checked: POST /bookings answered ${outcome.throttled.response.status}`,
    );
    return [];
  }
  if (outcome.throttled) return [];
  const last = outcome.last;
  return [
    createFinding('RATE-LIMIT-WRITE-MISSING', {
      method: 'POST',
      path: last!.path,
      detail: `${limit + 2} POST /bookings from one user within seconds, no 429 (documented: ${limit}/min per user)`,
      evidence: formatEvidence(last!, {
        responseHeaders: ['x-ratelimit-limit', 'x-ratelimit-remaining'],
        bodyChars: 160,
      }),
      confidence: 'firm',
    }),
  ];
}

/** Fills the per-IP login window with made-up emails, then retries with spoofed client-IP headers. */
async function checkSpoofBypass(context: ProbeContext, notes: string[]): Promise<Finding[]> {
  const loginPath = context.target.auth.loginPath;
  const attempt = (headers: Record<string, string> = {}) =>
    context.http.send({
      method: 'POST',
      path: loginPath,
      bypass: false,
      headers,
      form: {
        username: `preflight-spoof-${randomBytes(5).toString('hex')}@example.invalid`,
        password: 'preflight-wrong',
      },
    });
  const budget = context.target.rateLimits.loginPerIpPerMinute + 3;
  const blocked = (await sendAttempts(budget, () => attempt(), limited, 4)).throttled?.response;
  if (!blocked) {
    notes.push(`spoofed-IP bypass not checked: no 429 after ${budget} login attempts from one IP`);
    return [];
  }
  const findings: Finding[] = [];
  for (const header of spoofHeaders) {
    const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const response = await attempt({ [header]: ip });
    if (!limited(response)) {
      findings.push(
        createFinding('RATE-LIMIT-SPOOF-BYPASS', {
          method: 'POST',
          path: response.path,
          key: header,
          detail: `After a 429 from POST ${loginPath}, a request with ${header}: ${ip} got HTTP ${response.status}`,
          evidence: formatEvidence(response, {
            requestHeaders: [header],
            responseHeaders: ['x-ratelimit-remaining'],
            bodyChars: 160,
          }),
          confidence: 'certain',
        }),
      );
    }
  }
  return findings;
}
