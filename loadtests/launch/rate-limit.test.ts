// Acceptance of rate-limit-conformance on the platform's real limits and 60 s windows, with the resource sampler
// running: it passes on the hardened sandbox within a few minutes, fails on `no-rate-limit` and on
// `rate-limit-ip-spoof` naming what broke, and on the spec-only platform (whose metrics route counts against the
// global limit, as the spec says) only the documented client-IP spoofing fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/load.js';
import { type ResolvedTarget, resolveTarget } from '../../src/core/target.js';
import { repoRoot } from '../../test/helpers/cli.js';
import { type SpecPlatform, startSpecPlatform } from '../../test/spec-platform/index.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';
import { type LaunchRunResult, runLaunchScenario } from './run.js';
import { startTargetSampler } from './sampler.js';

/** The platform's limits (shared/platform.md): 150/min per IP, login 20/min per IP and 5/min per email, bookings 20/min per user. */
const specRateLimits = {
  globalPerIpPerMinute: 150,
  loginPerIpPerMinute: 20,
  loginPerEmailPerMinute: 5,
  bookingsPerUserPerMinute: 20,
  windowSeconds: 60,
};

async function runConformance(sandbox: LaunchSandbox, env: Record<string, string> = {}) {
  const started = Date.now();
  const result = await runLaunchScenario({
    scenario: 'rate-limit-conformance',
    cwd: repoRoot,
    engine: 'native',
    target: sandbox.handle.target,
    env,
    resultsDir: false,
    sampleIntervalMs: 1000,
  });
  return { result, seconds: Math.round((Date.now() - started) / 1000) };
}

const failedChecks = (result: LaunchRunResult) =>
  result.run.summary.checks.filter((c) => c.fails > 0).map((c) => c.name);
const checkNames = (result: LaunchRunResult) => result.run.summary.checks.map((c) => c.name);

describe('rate-limit-conformance against the hardened sandbox (60 s windows, sampler on)', () => {
  let sandbox: LaunchSandbox;
  beforeAll(async () => {
    sandbox = await startLaunchSandbox({ rateLimits: specRateLimits });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('passes: allowance, concurrency, Retry-After, Remaining of its own bucket and spoofing all hold', async () => {
    const { result, seconds } = await runConformance(sandbox);
    console.log(`rate-limit-conformance on the hardened sandbox took ${seconds} s`);
    expect(failedChecks(result)).toEqual([]);
    expect(result.exitCode).toBe(0);
    const checks = checkNames(result);
    for (const limit of ['global', 'login_ip', 'login_email', 'bookings']) {
      expect(checks).toContain(`${limit}: allowance`);
      expect(checks).toContain(`${limit}: retry-after honoured`);
      expect(checks).toContain(`${limit}: holds under concurrency`);
    }
    expect(checks).toContain('global: remaining decreases');
    expect(checks).toContain('global: spoofed IPs do not raise the allowance');
    expect(checks).toContain('login_ip: spoofed IPs do not raise the allowance');
    expect(result.run.summary.metrics.ratelimit_conformance?.values.rate).toBe(1);
    // the sampler ran beside it
    expect(result.bottleneck.samples.length).toBeGreaterThan(10);
    expect(await sandbox.countTestBookings()).toBe(0);
  }, 400_000);
});

describe('rate-limit-conformance against weakened sandboxes', () => {
  it('fails on no-rate-limit: no 429 ever comes', async () => {
    const sandbox = await startLaunchSandbox({ rateLimits: specRateLimits, weaken: ['no-rate-limit'] });
    try {
      const { result, seconds } = await runConformance(sandbox);
      console.log(`rate-limit-conformance on no-rate-limit took ${seconds} s`);
      expect(result.exitCode).toBe(1);
      const failed = failedChecks(result);
      for (const limit of ['global', 'login_ip', 'login_email', 'bookings']) {
        expect(failed).toContain(`${limit}: allowance`);
        expect(failed).toContain(`${limit}: holds under concurrency`);
      }
      expect(result.run.summary.thresholds.find((t) => t.metric === 'ratelimit_conformance')?.ok).toBe(false);
      expect(await sandbox.countTestBookings()).toBe(0);
    } finally {
      await sandbox.stop();
    }
  }, 400_000);

  it('fails on rate-limit-ip-spoof: rotating CF-Connecting-IP / X-Forwarded-For raises the IP limits, nothing else breaks', async () => {
    const sandbox = await startLaunchSandbox({ rateLimits: specRateLimits, weaken: ['rate-limit-ip-spoof'] });
    try {
      const { result, seconds } = await runConformance(sandbox, { RL_LIMITS: 'global,login_ip' });
      console.log(`rate-limit-conformance (global, login_ip) on rate-limit-ip-spoof took ${seconds} s`);
      expect(result.exitCode).toBe(1);
      expect(failedChecks(result).sort()).toEqual([
        'global: spoofed IPs do not raise the allowance',
        'login_ip: spoofed IPs do not raise the allowance',
      ]);
    } finally {
      await sandbox.stop();
    }
  }, 400_000);
});

describe('rate-limit-conformance against the spec-only platform (test/spec-platform)', () => {
  let platform: SpecPlatform;
  let target: ResolvedTarget;
  beforeAll(async () => {
    platform = await startSpecPlatform();
    const config = validateConfig({
      targets: {
        spec: {
          baseUrl: platform.baseUrl,
          origin: platform.frontendOrigin,
          accounts: {
            studentA: { email: platform.accounts.students[0]?.email, passwordEnv: 'SPEC_STUDENT_PASSWORD' },
            studentB: { email: platform.accounts.students[1]?.email, passwordEnv: 'SPEC_STUDENT_PASSWORD' },
          },
          rateLimitBypass: { header: platform.bypassHeader, tokenEnv: 'SPEC_BYPASS_TOKEN' },
        },
      },
    });
    target = resolveTarget(config, 'spec', {
      env: {
        SPEC_STUDENT_PASSWORD: platform.accounts.students[0]?.password,
        SPEC_BYPASS_TOKEN: platform.bypassToken,
      },
    });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('only the documented client-IP spoofing fails, while a sampler polls the (rate-limited) metrics route every second', async () => {
    // the target's sampler, polling the metrics route with the bypass header all along the run
    const sampler = startTargetSampler(target, { intervalMs: 1000 });
    const started = Date.now();
    let result: LaunchRunResult;
    try {
      result = await runLaunchScenario({
        scenario: 'rate-limit-conformance',
        cwd: repoRoot,
        engine: 'native',
        target,
        resultsDir: false,
        sampleIntervalMs: 0,
      });
    } finally {
      const samples = await sampler.stop();
      expect(samples.length).toBeGreaterThan(30);
      expect(samples.filter((s) => s.errors.length > 0)).toEqual([]);
    }
    console.log(
      `rate-limit-conformance on the spec platform took ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(failedChecks(result).sort()).toEqual([
      'global: spoofed IPs do not raise the allowance',
      'login_ip: spoofed IPs do not raise the allowance',
    ]);
    const checks = checkNames(result);
    for (const limit of ['global', 'login_ip', 'login_email', 'bookings'])
      for (const property of ['allowance', 'holds under concurrency', 'retry-after honoured'])
        expect(checks).toContain(`${limit}: ${property}`);
  }, 400_000);
});
