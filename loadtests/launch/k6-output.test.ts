// The launch scenarios stay portable: each bundles to plain k6 JavaScript (only k6 modules imported, no Node, no
// TypeScript left) and passes the native engine's API check. With real k6 on PATH they also run on it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/cli.js';
import { findK6 } from '../engine/k6/k6-engine.js';
import { runScenario } from '../engine/run.js';
import { assertNativeSupport, bundleScenario } from '../engine/scenario/bundle.js';
import { startLaunchSandbox } from './fixtures/sandbox.js';
import { buildLaunchEnv } from './run.js';

const launchScenarios = [
  'search-mix',
  'browse-and-book',
  'booking-race',
  'rate-limit-conformance',
  'pool-saturation',
  'connection-loss',
  'soak',
  'spike',
];

describe('launch scenarios bundle to plain k6 JavaScript', () => {
  it('every launch scenario file exists in loadtests/scenarios', () => {
    const files = readdirSync(join(repoRoot, 'loadtests', 'scenarios'));
    for (const name of launchScenarios) expect(files).toContain(`${name}.ts`);
  });

  it.each(launchScenarios)('%s: imports only k6 modules and is valid JavaScript', async (name) => {
    const bundle = await bundleScenario(join(repoRoot, 'loadtests', 'scenarios', `${name}.ts`));
    const imports = [...bundle.esm.matchAll(/^\s*import\s.*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^k6(\/[a-z-]+)?$/);
    expect(bundle.esm).not.toMatch(/\brequire\(|from ["']node:/);
    expect(bundle.esm).toMatch(/export\s*\{[^}]*\bdefault\b|export default/);
    // parsing as plain JavaScript fails on any TypeScript left behind
    await expect(transform(bundle.esm, { loader: 'js', format: 'esm' })).resolves.toBeDefined();
    expect(() => assertNativeSupport(bundle)).not.toThrow();
  });
});

const realK6 = findK6({ PATH: process.env.PATH, K6_BIN: process.env.K6_BIN });
if (!realK6)
  console.warn(
    'launch scenarios on real k6 not run: k6 is not on PATH or in K6_BIN (the bundles are checked above as plain k6 JavaScript)',
  );

describe('launch scenarios on real k6', () => {
  it.runIf(Boolean(realK6))(
    'search-mix and booking-race run unmodified on k6; teardown cancels the bookings',
    async () => {
      const sandbox = await startLaunchSandbox();
      try {
        const env = buildLaunchEnv(sandbox.handle.target, '', {
          RATE: '10',
          RAMP: '2s',
          HOLD: '1s',
          RACE_STUDENTS: '10',
        });
        for (const scenario of ['search-mix', 'booking-race']) {
          const result = await runScenario({
            scenario,
            cwd: repoRoot,
            engine: 'k6',
            target: sandbox.handle.target,
            env: { ...env, PREFLIGHT_DEFER_CLEANUP: '0' },
            resultsDir: false,
            processEnv: process.env,
          });
          expect(result.exitCode, scenario).toBe(0);
        }
        // plain k6 has no preflight after it: the scenario's teardown cancels what it booked
        expect(await sandbox.countActiveTestBookings()).toBe(0);
      } finally {
        await sandbox.stop();
      }
    },
    300_000,
  );
});
