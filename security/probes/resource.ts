/**
 * Resource limits (API4): write-route rate limit, client-IP header spoofing against the login limit, 413 for big
 * bodies, page-size bound. Routes, parameters and header names come from the target's platform profile; a route that
 * answers 404/405 or data that cannot be found makes a check "not run", never a finding.
 */
import { randomBytes } from 'node:crypto';
import { readPath } from '../../src/core/platform/discovery.js';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import type { ProbeResponse } from '../http.js';
import { is2xx, isMissingRoute, type NotRun, type Probe, type ProbeContext } from '../probe.js';
import { sendAttempts } from './attempts.js';

const limited = (response: ProbeResponse) => response.status === 429;
/** Client-IP headers tried against the login limit: the profile's, plus X-Real-IP (common behind nginx). */
const extraSpoofHeaders = ['X-Real-IP'];

export const resourceProbe: Probe = {
  name: 'resource',
  description:
    'Rate limits on login and write routes, spoofed client-IP headers, 413 over 1 MiB, oversized page size',
  phase: 'limits',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const notRun: NotRun[] = [];
    findings.push(...(await checkBodyLimit(context, notRun)));
    findings.push(...(await checkPageSize(context, notRun)));
    findings.push(...(await checkWriteRateLimit(context, notRun)));
    findings.push(...(await checkSpoofBypass(context, notRun)));
    return { findings, notes, notRun };
  },
};

const routeLabel = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

export async function checkBodyLimit(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const check = 'body size limit (413)';
  const token = await context.session.login('studentA');
  if (!token) {
    notRun.push({ check, reason: 'no studentA account to send an authenticated body with' });
    return [];
  }
  const route = context.target.platform.routes.checkAvailability;
  const padding = 'x'.repeat(1024 * 1024 + 256 * 1024);
  const response = await context.http.send({
    method: route.method,
    path: route.path,
    token,
    json: { instructor_id: 'x', padding },
  });
  if (response.status === 413) return [];
  if (isMissingRoute(response)) {
    notRun.push({
      check,
      reason: `${routeLabel(route)} answered HTTP ${response.status}: the route does not exist there (set platform.routes.checkAvailability)`,
    });
    return [];
  }
  if (response.status === 0 || response.status === 401 || response.status === 403 || limited(response)) {
    notRun.push({
      check,
      reason:
        response.status === 0
          ? `${routeLabel(route)} did not answer a 1.25 MiB body in time`
          : `${routeLabel(route)} answered HTTP ${response.status} before any sign that it read the body`,
    });
    return [];
  }
  return [
    createFinding('BODY-SIZE-UNLIMITED', {
      method: response.method,
      path: response.path,
      detail: `${routeLabel(route)} answered a 1.25 MiB JSON body with HTTP ${response.status}, not 413`,
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

/** A service_catalog_id that exists, from the best matches of the profile's discovery searches. */
async function findCatalogId(context: ProbeContext): Promise<string | undefined> {
  const profile = context.target.platform;
  const s = profile.search;
  for (const query of profile.discoveryQueries.slice(0, 3)) {
    const response = await context.http.send({
      method: profile.routes.search.method,
      path: profile.routes.search.path,
      query: { [s.queryParam]: query, [s.limitParam]: Math.min(5, s.maxLimit) },
    });
    if (!is2xx(response)) continue;
    let body: unknown;
    try {
      body = response.json();
    } catch {
      continue;
    }
    const results = readPath(body, s.resultsField);
    if (!Array.isArray(results)) continue;
    for (const result of results) {
      const id = readPath(readPath(result, s.bestMatchField), s.serviceCatalogIdField);
      if (typeof id === 'string' && id !== '') return id;
    }
  }
  return undefined;
}

export async function checkPageSize(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const check = 'page size bound';
  const profile = context.target.platform;
  const route = profile.routes.instructors;
  const i = profile.instructors;
  const catalogId = route.requiredQuery.includes(i.serviceCatalogParam)
    ? await findCatalogId(context)
    : undefined;
  if (route.requiredQuery.includes(i.serviceCatalogParam) && !catalogId) {
    notRun.push({
      check,
      reason: `${routeLabel(route)} needs ${i.serviceCatalogParam} and no search in platform.discoveryQueries returned one`,
    });
    return [];
  }
  const list = (perPage: number) =>
    context.http.send({
      method: route.method,
      path: route.path,
      query: {
        ...(catalogId ? { [i.serviceCatalogParam]: catalogId } : {}),
        [i.perPageParam]: perPage,
        page: 1,
      },
    });
  const control = await list(Math.min(20, i.maxPerPage));
  if (!is2xx(control)) {
    notRun.push({
      check,
      reason: `${routeLabel(route)} answered HTTP ${control.status} to a normal request (${i.perPageParam}=${Math.min(20, i.maxPerPage)})${isMissingRoute(control) ? ': the route does not exist there' : ''}`,
    });
    return [];
  }
  const asked = i.maxPerPage * 10;
  const response = await list(asked);
  if (!is2xx(response)) return [];
  let body: unknown;
  try {
    body = response.json();
  } catch {}
  const echoed = readPath(body, i.perPageParam);
  const items = readPath(body, i.itemsField);
  const count = Array.isArray(items) ? items.length : undefined;
  const over = count !== undefined && count > i.maxPerPage;
  if (!over && echoed !== asked) return [];
  return [
    createFinding('PAGE-SIZE-UNBOUNDED', {
      method: response.method,
      path: response.path,
      detail: `${i.perPageParam}=${asked} was accepted (HTTP ${response.status}${over ? `, ${count} items` : ''}${echoed === asked ? `, ${i.perPageParam} ${asked} echoed` : ''}); the documented maximum is ${i.maxPerPage}`,
      evidence: formatEvidence(response, { bodyChars: 200 }),
      confidence: over ? 'certain' : 'firm',
    }),
  ];
}

/** Empty booking requests (they fail validation, nothing is created) without the bypass header until 429. */
async function checkWriteRateLimit(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const check = 'write-route rate limit';
  const token = await context.session.login('studentB');
  if (!token) {
    notRun.push({ check, reason: 'no studentB account' });
    return [];
  }
  const route = context.target.platform.routes.createBooking;
  const rl = context.target.platform.rateLimit;
  const limit = context.target.rateLimits.bookingsPerUserPerMinute;
  const outcome = await sendAttempts(
    limit + 2,
    () =>
      context.http.send({
        method: route.method,
        path: route.path,
        token,
        bypass: false,
        json: {},
        retry: false,
      }),
    (response) =>
      limited(response) || response.status === 401 || response.status === 403 || isMissingRoute(response),
    4,
  );
  if (outcome.throttled && !limited(outcome.throttled.response)) {
    const status = outcome.throttled.response.status;
    notRun.push({
      check,
      reason: `${routeLabel(route)} answered HTTP ${status}${isMissingRoute(outcome.throttled.response) ? ': the route does not exist there' : ' to a signed-in student'}`,
    });
    return [];
  }
  if (outcome.throttled) return [];
  const last = outcome.last;
  return [
    createFinding('RATE-LIMIT-WRITE-MISSING', {
      method: route.method,
      path: last!.path,
      detail: `${limit + 2} ${routeLabel(route)} from one user within seconds, no 429 (last: HTTP ${last!.status}; documented: ${limit}/min per user)`,
      evidence: formatEvidence(last!, {
        responseHeaders: [rl.limitHeader.toLowerCase(), rl.remainingHeader.toLowerCase()],
        bodyChars: 160,
      }),
      confidence: 'firm',
    }),
  ];
}

/** Fills the per-IP login window with made-up emails, then retries with spoofed client-IP headers. */
async function checkSpoofBypass(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const check = 'client-IP header spoofing';
  const profile = context.target.platform;
  const loginPath = context.target.auth.loginPath;
  const attempt = (headers: Record<string, string> = {}) =>
    context.http.send({
      method: profile.routes.login.method,
      path: loginPath,
      bypass: false,
      headers,
      form: {
        [profile.auth.usernameField]: `preflight-spoof-${randomBytes(5).toString('hex')}@example.invalid`,
        [profile.auth.passwordField]: 'preflight-wrong',
      },
    });
  const budget = context.target.rateLimits.loginPerIpPerMinute + 3;
  const outcome = await sendAttempts(
    budget,
    () => attempt(),
    (r) => limited(r) || isMissingRoute(r),
    4,
  );
  const blocked = outcome.throttled?.response;
  if (!blocked || !limited(blocked)) {
    notRun.push({
      check,
      reason: blocked
        ? `${profile.routes.login.method} ${loginPath} answered HTTP ${blocked.status}: the route does not exist there`
        : `no 429 after ${budget} login attempts from one IP (last: HTTP ${outcome.last?.status ?? 'none'}), so there is no limit to get around`,
    });
    return [];
  }
  const findings: Finding[] = [];
  const headers = [
    ...new Set([...profile.rateLimit.clientIpHeaders, ...extraSpoofHeaders].map((h) => h.toLowerCase())),
  ];
  for (const header of headers) {
    const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const response = await attempt({ [header]: ip });
    if (!limited(response)) {
      findings.push(
        createFinding('RATE-LIMIT-SPOOF-BYPASS', {
          method: response.method,
          path: response.path,
          key: header,
          detail: `After a 429 from ${profile.routes.login.method} ${loginPath}, a request with ${header}: ${ip} got HTTP ${response.status}`,
          evidence: formatEvidence(response, {
            requestHeaders: [header],
            responseHeaders: [profile.rateLimit.remainingHeader.toLowerCase()],
            bodyChars: 160,
          }),
          confidence: 'certain',
        }),
      );
    }
  }
  return findings;
}
