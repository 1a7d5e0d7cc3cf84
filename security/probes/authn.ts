/** Authentication: no token and expired token on every secured route, login brute-force protection, user enumeration. */
import { randomBytes } from 'node:crypto';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import { mapLimit, type ProbeResponse } from '../http.js';
import { decodeJwt, signHs256 } from '../jwt-tokens.js';
import { is2xx, isMissingRoute, type NotRun, type Probe, type ProbeContext } from '../probe.js';
import { fillPath, isSecured } from '../routes.js';
import { sendAttempts } from './attempts.js';

export const authnProbe: Probe = {
  name: 'authn',
  description: 'Secured routes without a token and with an expired token; login throttling; user enumeration',
  phase: 'limits',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const notRun: NotRun[] = [];
    findings.push(...(await checkSecuredRoutes(context, notRun)));
    findings.push(...(await checkUserEnumeration(context, notRun)));
    findings.push(...(await checkLoginThrottle(context, notes, notRun)));
    return { findings, notes, notRun };
  },
};

async function checkSecuredRoutes(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const secured = context.routes.routes.filter(isSecured);
  const expired = await buildExpiredToken(context);
  if (!expired)
    notRun.push({
      check: 'expired token on secured routes',
      reason: 'the signing key is unknown (not in the bundled wordlist, --jwt-secret-env not set)',
    });
  const cases = secured.flatMap((route) => [
    { route, token: undefined as string | undefined, label: 'no token' },
    ...(expired ? [{ route, token: expired, label: 'an expired token' }] : []),
  ]);
  const responses = await mapLimit(cases, context.http.concurrency, ({ route, token }) =>
    context.http.send({
      method: route.method,
      path: fillPath(route.path, {}),
      ...(token ? { token } : {}),
      ...(route.method === 'GET' ? {} : { json: {} }),
    }),
  );
  const findings: Finding[] = [];
  cases.forEach(({ route, token, label }, index) => {
    const response = responses[index]!;
    if (!is2xx(response)) return;
    findings.push(
      createFinding(token ? 'AUTHN-EXPIRED-TOKEN' : 'AUTHN-MISSING', {
        method: route.method,
        path: response.path,
        detail: `${route.method} ${route.path} answered HTTP ${response.status} with ${label}`,
        evidence: formatEvidence(response, { bodyChars: 200 }),
        confidence: 'certain',
      }),
    );
  });
  return findings;
}

/** A correctly signed token that expired an hour ago, when the signing key is known. */
async function buildExpiredToken(context: ProbeContext): Promise<string | undefined> {
  const key = await context.getSigningKey();
  const token = await context.session.login('studentA');
  const decoded = token ? decodeJwt(token) : undefined;
  if (key === undefined || !decoded) return undefined;
  const now = Math.floor(Date.now() / 1000);
  return signHs256(decoded.header, { ...decoded.payload, iat: now - 7200, exp: now - 3600 }, key);
}

function normalizeBody(text: string): string {
  return text.replace(
    /"(request_id|instance|timestamp|trace_id|retry_after)"\s*:\s*("[^"]*"|\d+)/g,
    '"$1":_',
  );
}

async function checkUserEnumeration(context: ProbeContext, notRun: NotRun[]): Promise<Finding[]> {
  const account = context.target.accounts.studentB ?? context.target.accounts.studentA;
  if (!account) {
    notRun.push({ check: 'user enumeration', reason: 'no student account' });
    return [];
  }
  const loginPath = context.target.auth.loginPath;
  const { usernameField, passwordField } = context.target.platform.auth;
  const unknownEmail = `preflight-nobody-${randomBytes(4).toString('hex')}@example.invalid`;
  const known: ProbeResponse[] = [];
  const unknown: ProbeResponse[] = [];
  for (let round = 0; round < 3; round++) {
    const wrongPassword = `preflight-wrong-${randomBytes(6).toString('hex')}`;
    known.push(
      await context.http.send({
        method: context.target.platform.routes.login.method,
        path: loginPath,
        form: { [usernameField]: account.email, [passwordField]: wrongPassword },
      }),
    );
    unknown.push(
      await context.http.send({
        method: context.target.platform.routes.login.method,
        path: loginPath,
        form: { [usernameField]: unknownEmail, [passwordField]: wrongPassword },
      }),
    );
  }
  const findings: Finding[] = [];
  const knownFirst = known[0]!;
  const unknownFirst = unknown[0]!;
  if (
    knownFirst.status !== unknownFirst.status ||
    normalizeBody(knownFirst.text) !== normalizeBody(unknownFirst.text)
  ) {
    findings.push(
      createFinding('AUTHN-USER-ENUMERATION', {
        method: context.target.platform.routes.login.method,
        path: knownFirst.path,
        key: 'response',
        detail: `Wrong password for an existing account gives HTTP ${knownFirst.status}, an unknown email HTTP ${unknownFirst.status}${knownFirst.status === unknownFirst.status ? ' with a different body' : ''}`,
        evidence: {
          request: `${formatEvidence(knownFirst).request}\n---\n${formatEvidence(unknownFirst).request}`,
          response: `${formatEvidence(knownFirst, { bodyChars: 200 }).response}\n---\n${formatEvidence(unknownFirst, { bodyChars: 200 }).response}`,
        },
        confidence: 'certain',
      }),
    );
  }
  const median = (rs: ProbeResponse[]) => [...rs.map((r) => r.durationMs)].sort((a, b) => a - b)[1] ?? 0;
  const gap = median(known) - median(unknown);
  const slowestUnknown = Math.max(...unknown.map((r) => r.durationMs));
  const fastestKnown = Math.min(...known.map((r) => r.durationMs));
  if (gap > 150 && fastestKnown > slowestUnknown * 1.5) {
    findings.push(
      createFinding('AUTHN-USER-ENUMERATION', {
        method: context.target.platform.routes.login.method,
        path: knownFirst.path,
        key: 'timing',
        severity: 'low',
        confidence: 'tentative',
        detail: `Login for an existing account takes ${Math.round(gap)} ms longer (median of 3) than for an unknown email`,
        evidence: {
          request: `3 x wrong password for ${account.email}, 3 x unknown email`,
          response: `existing: ${known.map((r) => Math.round(r.durationMs)).join(', ')} ms; unknown: ${unknown.map((r) => Math.round(r.durationMs)).join(', ')} ms`,
        },
      }),
    );
  }
  return findings;
}

/** Wrong passwords for one made-up email, without the bypass header, until 429/lockout or the attempt budget runs out. */
async function checkLoginThrottle(
  context: ProbeContext,
  notes: string[],
  notRun: NotRun[],
): Promise<Finding[]> {
  const loginPath = context.target.auth.loginPath;
  const email = `preflight-bruteforce-${randomBytes(4).toString('hex')}@example.invalid`;
  const budget = context.settings.loginAttemptBudget;
  const outcome = await sendAttempts(
    budget,
    (attempt) =>
      context.http.send({
        method: context.target.platform.routes.login.method,
        path: loginPath,
        bypass: false,
        form: {
          [context.target.platform.auth.usernameField]: email,
          [context.target.platform.auth.passwordField]: `preflight-wrong-${attempt}`,
        },
      }),
    (response) =>
      response.status === 429 ||
      response.status === 423 ||
      response.status === 428 ||
      isMissingRoute(response),
  );
  if (outcome.throttled && isMissingRoute(outcome.throttled.response)) {
    notRun.push({
      check: 'login throttling',
      reason: `POST ${loginPath} answered HTTP ${outcome.throttled.response.status}: the route does not exist there (set platform.routes.login)`,
    });
    return [];
  }
  if (outcome.throttled) {
    notes.push(
      `login throttled after ${outcome.throttled.attempt} attempts (HTTP ${outcome.throttled.response.status})`,
    );
    return [];
  }
  const last = outcome.last;
  if (!last) return [];
  return [
    createFinding('AUTHN-NO-LOGIN-THROTTLE', {
      method: context.target.platform.routes.login.method,
      path: last.path,
      detail: `${budget} wrong passwords for one email within seconds, no 429/423/428 (documented: ${context.target.rateLimits.loginPerEmailPerMinute}/min per email, ${context.target.rateLimits.loginPerIpPerMinute}/min per IP)`,
      evidence: formatEvidence(last, {
        responseHeaders: [
          context.target.platform.rateLimit.retryAfterHeader.toLowerCase(),
          context.target.platform.rateLimit.remainingHeader.toLowerCase(),
        ],
        bodyChars: 200,
        note: `attempt ${budget} of ${budget}`,
      }),
      confidence: 'firm',
    }),
  ];
}
