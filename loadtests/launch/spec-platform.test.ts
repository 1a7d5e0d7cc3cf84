// The booking scenarios and their clean-up against a second, spec-only implementation of the platform
// (test/spec-platform: its own routes, schema and seed, no code shared with the sandbox), configured the way a user
// configures a real target: a preflight.yaml target with passwords and database URLs from the environment.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/load.js';
import { type ResolvedTarget, resolveTarget } from '../../src/core/target.js';
import { repoRoot } from '../../test/helpers/cli.js';
import { type SpecPlatform, startSpecPlatform } from '../../test/spec-platform/index.js';
import { formatLaunchReport } from './report.js';
import { type LaunchRunResult, runLaunchScenario } from './run.js';

const plain = { green: String, red: String, yellow: String, bold: String, dim: String } as never;

function targetFor(platform: SpecPlatform): ResolvedTarget {
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
        database: { readonlyUrlEnv: 'SPEC_DB_READONLY_URL', adminUrlEnv: 'SPEC_DB_ADMIN_URL' },
      },
    },
  });
  return resolveTarget(config, 'spec', {
    env: {
      SPEC_STUDENT_PASSWORD: platform.accounts.students[0]?.password,
      SPEC_BYPASS_TOKEN: platform.bypassToken,
      SPEC_DB_READONLY_URL: platform.readonlyDatabaseUrl,
      SPEC_DB_ADMIN_URL: platform.databaseUrl,
    },
  });
}

function run(
  target: ResolvedTarget,
  scenario: string,
  env: Record<string, string>,
): Promise<LaunchRunResult> {
  return runLaunchScenario({
    scenario,
    cwd: repoRoot,
    engine: 'native',
    target,
    env,
    resultsDir: false,
    sampleIntervalMs: 1000,
  });
}

/** Active rows among the given booking ids, read from the platform's own database. */
async function countActive(platform: SpecPlatform, ids: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: platform.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bookings WHERE id::text = ANY($1::text[]) AND status::text IN ('PENDING', 'CONFIRMED')`,
      [ids],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

function studentEnv(platform: SpecPlatform, count: number): Record<string, string> {
  return {
    LOAD_STUDENT_EMAILS: platform.accounts.students
      .slice(0, count)
      .map((s) => s.email)
      .join(','),
    LOAD_STUDENT_PASSWORD: platform.accounts.students[0]?.password ?? '',
  };
}

describe('booking scenarios against the spec-only platform (hardened)', () => {
  let platform: SpecPlatform;
  let target: ResolvedTarget;
  beforeAll(async () => {
    platform = await startSpecPlatform();
    target = targetFor(platform);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('booking-race: exactly one success, the invariant holds, the winning booking is cancelled and checked', async () => {
    const result = await run(target, 'booking-race', {
      ...studentEnv(platform, 50),
      RACE_BARRIER_MS: '5000',
    });
    const metrics = result.run.summary.metrics;
    expect(result.notRun).toBeUndefined();
    expect(metrics.race_success?.values.count).toBe(1);
    expect(metrics.race_conflict?.values.count).toBe(49);
    expect(result.invariants).toHaveLength(1);
    expect(result.invariants[0]?.ok).toBe(true);
    expect(result.cleanup.method).toBe('api');
    expect(result.cleanup.created).toBe(1);
    expect(result.cleanup.leftover).toEqual([]);
    expect(
      await countActive(
        platform,
        result.cleanup.bookings.map((b) => b.id),
      ),
    ).toBe(0);
    expect(result.exitCode).toBe(0);
  }, 180_000);

  it('browse-and-book books and cancels; nothing stays active', async () => {
    const result = await run(target, 'browse-and-book', {
      ...studentEnv(platform, 2),
      THINK_TIME: '0.05',
      VUS: '2',
      ITERATIONS: '2',
    });
    expect(result.run.summary.metrics.bookings_created?.values.count).toBeGreaterThan(0);
    expect(result.cleanup.created).toBeGreaterThan(0);
    expect(result.cleanup.leftover).toEqual([]);
    expect(
      await countActive(
        platform,
        result.cleanup.bookings.map((b) => b.id),
      ),
    ).toBe(0);
    expect(result.exitCode).toBe(0);
  }, 180_000);

  it('booking-race reports "not run" with the setting to use when no slot can be found', async () => {
    const blind = { ...target, platform: { ...target.platform, discoveryQueries: ['zzzz-no-such-service'] } };
    const result = await run(blind, 'booking-race', { ...studentEnv(platform, 3), RACE_STUDENTS: '3' });
    expect(result.notRun).toContain('no bookable slot found');
    expect(result.notRun).toContain('platform.slot');
    expect(result.exitCode).toBe(1);
    expect(formatLaunchReport(result, plain)).toContain('NOT RUN: no bookable slot found');
  }, 120_000);

  it('booking-race without test students is "not run" naming the settings, never a pass', async () => {
    const result = await run({ ...target, accounts: {} }, 'booking-race', { RACE_STUDENTS: '2' });
    expect(result.notRun).toContain('needs test students');
    expect(result.notRun).toContain('accounts.studentA');
    expect(result.exitCode).toBe(1);
  }, 120_000);

  /** A booking-race whose clean-up must fail because `route` does not exist on this deployment. */
  async function raceWithMissingRoute(route: 'cancelBooking' | 'getBooking', expectedStatus: RegExp) {
    // no read-only URL: the proof must come from reading each booking back through the API
    const broken = {
      ...target,
      database: { ...target.database, readonlyUrl: undefined },
      platform: {
        ...target.platform,
        routes: {
          ...target.platform.routes,
          [route]: { ...target.platform.routes[route], path: '/bookings/{booking_id}/no-such-route' },
        },
      },
    };
    const result = await run(broken, 'booking-race', {
      ...studentEnv(platform, 2),
      RACE_STUDENTS: '2',
      RACE_BARRIER_MS: '3000',
    });
    const ids = result.cleanup.bookings.map((b) => b.id);
    try {
      expect(result.run.summary.metrics.race_success?.values.count).toBe(1);
      expect(result.cleanup.leftover.map((l) => l.id)).toEqual(ids);
      expect(result.cleanup.leftover[0]?.status).toMatch(expectedStatus);
      expect(result.exitCode).toBe(1);
      expect(formatLaunchReport(result, plain)).toContain(
        `CLEAN-UP INCOMPLETE: 1 of 1 booking(s) still active: ${ids[0]}`,
      );
    } finally {
      const client = new pg.Client({ connectionString: platform.databaseUrl });
      await client.connect();
      await client.query(`UPDATE bookings SET status = 'CANCELLED' WHERE id::text = ANY($1::text[])`, [ids]);
      await client.end();
    }
  }

  it('clean-up names a booking it could not cancel, and exits 1', async () => {
    // a cancel route that does not exist on this deployment: the booking stays PENDING and must be named
    await raceWithMissingRoute('cancelBooking', /^PENDING$/);
  }, 120_000);

  it('clean-up that cannot read a booking back never calls it removed (404 is no proof), and exits 1', async () => {
    await raceWithMissingRoute('getBooking', /^unknown: HTTP 404/);
  }, 120_000);
});

describe('booking scenarios against the spec-only platform with its double-booking defence off', () => {
  let platform: SpecPlatform;
  let target: ResolvedTarget;
  beforeAll(async () => {
    platform = await startSpecPlatform({ weakDoubleBooking: true });
    target = targetFor(platform);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('booking-race fails naming the overlapping rows, and still cleans up every booking it made', async () => {
    const result = await run(target, 'booking-race', {
      ...studentEnv(platform, 50),
      RACE_BARRIER_MS: '5000',
    });
    expect(result.exitCode).toBe(1);
    expect(result.run.summary.metrics.race_success?.values.count).toBeGreaterThan(1);
    const invariant = result.invariants[0];
    expect(invariant?.ok).toBe(false);
    const first = invariant?.violations[0];
    expect(first?.first.id).toMatch(/^[0-9A-Z]{26}$/);
    expect(formatLaunchReport(result, plain)).toContain(first?.first.id);
    expect(result.cleanup.created).toBe(result.run.summary.metrics.race_success?.values.count);
    expect(result.cleanup.leftover).toEqual([]);
    expect(
      await countActive(
        platform,
        result.cleanup.bookings.map((b) => b.id),
      ),
    ).toBe(0);
  }, 180_000);
});
