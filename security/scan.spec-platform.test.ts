// The scan against the second, spec-only implementation of the platform (test/spec-platform): only the spec's routes
// exist there, so every check that needs another route must say "not run", never report a finding for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/core/config/load.js';
import { resolveTarget } from '../src/core/target.js';
import { type SpecPlatform, startSpecPlatform } from '../test/spec-platform/index.js';
import { isAtLeast } from './findings.js';
import { planScan, runScan, type ScanResult } from './scan.js';

describe('preflight scan against the spec-only platform (production mode)', () => {
  let platform: SpecPlatform;
  let result: ScanResult;
  let routesHit: Set<string>;

  beforeAll(async () => {
    platform = await startSpecPlatform({ environment: 'production' });
    const passwordEnv = (i: string) => `SPEC_PASSWORD_${i}`;
    const env = {
      SPEC_PASSWORD_A: platform.accounts.students[0]!.password,
      SPEC_PASSWORD_B: platform.accounts.students[1]!.password,
      SPEC_PASSWORD_I: platform.accounts.instructor.password,
      SPEC_PASSWORD_ADMIN: platform.accounts.admin.password,
      SPEC_BYPASS: platform.bypassToken,
    };
    const target = resolveTarget(
      validateConfig({
        targets: {
          spec: {
            baseUrl: platform.baseUrl,
            origin: platform.frontendOrigin,
            environment: 'production',
            accounts: {
              studentA: { email: platform.accounts.students[0]!.email, passwordEnv: passwordEnv('A') },
              studentB: { email: platform.accounts.students[1]!.email, passwordEnv: passwordEnv('B') },
              instructor: { email: platform.accounts.instructor.email, passwordEnv: passwordEnv('I') },
              admin: { email: platform.accounts.admin.email, passwordEnv: passwordEnv('ADMIN') },
            },
            rateLimitBypass: { header: platform.bypassHeader, tokenEnv: 'SPEC_BYPASS' },
          },
        },
      }),
      'spec',
      { env },
    );
    result = await runScan(planScan(target));
    routesHit = new Set(result.findings.map((f) => `${f.location.method} ${f.location.path}`));
  }, 240_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('completes every probe; the only high finding is the client-IP spoofing the spec documents', () => {
    const failed = result.probes
      .filter((p) => p.status !== 'ok')
      .map((p) => `${p.name}: ${p.notes.join('; ')}`);
    expect(failed).toEqual([]);
    expect(result.probes.map((p) => [p.name, p.status])).toEqual([
      ['headers', 'ok'],
      ['cors', 'ok'],
      ['jwt', 'ok'],
      ['authz', 'ok'],
      ['injection', 'ok'],
      ['exposure', 'ok'],
      ['authn', 'ok'],
      ['resource', 'ok'],
    ]);
    // the one high finding is a true positive the spec documents: the client IP is read from CF-Connecting-IP,
    // else the first X-Forwarded-For, so both reset the login limit (X-Real-IP is not read: no finding)
    const serious = result.findings.filter((f) => isAtLeast(f.severity, 'high'));
    expect(
      serious
        .map((f) => `${f.ruleId} ${f.location.method} ${f.location.path} ${f.detail.split(':')[0]}`)
        .sort(),
    ).toEqual([
      'RATE-LIMIT-SPOOF-BYPASS POST /api/v1/auth/login After a 429 from POST /auth/login, a request with cf-connecting-ip',
      'RATE-LIMIT-SPOOF-BYPASS POST /api/v1/auth/login After a 429 from POST /auth/login, a request with x-forwarded-for',
    ]);
  });

  it('reports no finding on a route the spec does not have', () => {
    // every finding sits on a spec route, a probe path outside the API (docs, .env, debug) or the login route
    for (const where of routesHit)
      expect(where).not.toMatch(/\/api\/v1\/(users|admin|instructors\/me)|GET \/api\/v1\/bookings(\?|$)/);
    expect(result.findings.map((f) => f.ruleId)).not.toContain('BODY-SIZE-UNLIMITED');
    expect(result.findings.map((f) => f.ruleId)).not.toContain('JWT-AUD-ISS-NOT-ENFORCED');
  });

  it('runs BOLA through search + public availability and lists what could not run', () => {
    const authz = result.probes.find((p) => p.name === 'authz')!;
    // shown with their reasons when they fail
    expect(authz.notRun.filter((n) => /^(BOLA|booking)/.test(n.check))).toEqual([]);
    const notRun = result.probes.flatMap((p) => p.notRun.map((n) => `${p.name}: ${n.check}`));
    expect(notRun).toEqual(
      expect.arrayContaining([
        'headers: HSTS',
        'authz: function-level authorization',
        'authz: profile mass assignment',
      ]),
    );
  });
});
