/**
 * Monitoring and search-check against the spec-only platform (test/spec-platform): they must work with what
 * platform.md promises alone, through the default platform profile.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInventory } from '../monitoring/test-run.js';
import { validateConfig } from '../src/core/config/load.js';
import { ApiClient } from '../src/core/http.js';
import { buildSearchPath } from '../src/core/platform/discovery.js';
import { type ResolvedTarget, resolveTarget } from '../src/core/target.js';
import { runSearchCheck } from '../src/search-check/run.js';
import { type SpecPlatform, startSpecPlatform } from './spec-platform/index.js';

let platform: SpecPlatform;
let target: ResolvedTarget;
let config: ReturnType<typeof validateConfig>;
const work = mkdtempSync(join(tmpdir(), 'preflight-spec-platform-'));

beforeAll(async () => {
  platform = await startSpecPlatform();
  config = validateConfig({
    targets: {
      spec: {
        baseUrl: platform.baseUrl,
        origin: platform.frontendOrigin,
        rateLimitBypass: { header: platform.bypassHeader, tokenEnv: 'SPEC_BYPASS_TOKEN' },
      },
    },
  });
  target = resolveTarget(config, 'spec', { env: { SPEC_BYPASS_TOKEN: platform.bypassToken } });
});

afterAll(async () => {
  await platform?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('against the spec-only platform', () => {
  it('every dashboard, alert and recording rule finds its platform metrics and labels (inventory)', async () => {
    const client = new ApiClient(target);
    // a little traffic so the labelled families have samples
    const { routes, auth, metrics } = target.platform;
    await client.request(routes.health.method, routes.health.path);
    await client.request(routes.search.method, buildSearchPath(target.platform, 'piano under $80', 5));
    await client.request(routes.login.method, routes.login.path, {
      form: { [auth.usernameField]: platform.accounts.admin.email, [auth.passwordField]: 'wrong-password' },
    });
    const { result, scrapeFailures } = await runInventory({ config, env: {} }, target);
    expect(scrapeFailures).toEqual([]);
    expect(result.sources).toEqual(['platform']);
    expect(result.problems).toEqual([]);
    // every platform metric the queries use was read from the exposition (labels checked), except the booking
    // lock counter: no booking was made
    const declaredOnly = result.unverified
      .filter((u) => u.reason.startsWith('declared'))
      .map((u) => u.metric)
      .filter((m) => m !== metrics.bookingLockOperations);
    expect(declaredOnly).toEqual([]);
  });

  it('search-check judges the spec search answers (service-level matches within the price)', async () => {
    const golden = join(work, 'golden.yaml');
    writeFileSync(
      golden,
      [
        'version: 1',
        'catalog:',
        '  Music: [piano, guitar, violin, voice, drums]',
        '  Languages: [Spanish, French]',
        '  Tutoring: [math, chemistry, SAT prep]',
        'queries:',
        '  - { q: piano under $80, service: piano, maxPrice: 80 }',
        '  - { q: guitar lessons less than $60, service: guitar, maxPrice: 60 }',
        '  - { q: spanish tutor max $50, service: Spanish, maxPrice: 50 }',
        '  - { q: math tutoring 60 dollars, service: math, maxPrice: 60 }',
        '  - { q: piano lessons, service: piano, maxPrice: null }',
        '',
      ].join('\n'),
    );
    const report = await runSearchCheck(target, { queriesFile: golden, concurrency: 2 });
    expect(report.queries.map((q) => q.error)).toEqual([null, null, null, null, null]);
    const piano = report.queries.find((q) => q.q === 'piano under $80')!;
    expect(piano.resultCount).toBeGreaterThan(0);
    expect(piano.parsed).toEqual({ serviceQuery: 'piano', maxPrice: 80 });
    expect(piano.problems).toEqual([]);
    expect(report.summary.constraintSatisfactionRate).toBe(1);
  });
});
