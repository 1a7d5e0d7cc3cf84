/**
 * A scenario run with what k6 alone cannot do: the production guard, the run's booking journal and test accounts,
 * resource sampling aligned with client latency (bottleneck report), database invariants after the run, and
 * clean-up of every booking the run created, by id and checked, also when the run fails or is interrupted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactValue, registerSecret } from '../../src/core/redact.js';
import { onInterrupt } from '../../src/core/signals.js';
import type { ResolvedTarget } from '../../src/core/target.js';
import type { Progress } from '../engine/native/native.js';
import { type RunScenarioOptions, type RunScenarioResult, runScenario } from '../engine/run.js';
import { analyzeBottleneck, type BottleneckReport, type Slo } from './bottleneck.js';
import { type CleanupResult, cleanupBookings } from './cleanup.js';
import {
  analyzeConnectionLoss,
  type ConnectionLossReport,
  isConnectionLossScenario,
  planConnectionLoss,
  startConnectionLoss,
} from './connection-loss.js';
import { checkBookingOverlaps, type InvariantResult } from './invariants.js';
import { startBookingJournal } from './journal.js';
import { assertLoadAllowed } from './safety.js';
import { type ResourceSample, startTargetSampler } from './sampler.js';

export interface LaunchRunOptions extends RunScenarioOptions {
  /** `--i-understand-this-is-production`. */
  acknowledgeProduction?: boolean;
  /** Resource sampling period (default 2000 ms); 0 turns sampling off. */
  sampleIntervalMs?: number;
  /** Basic auth of the metrics endpoint (the sandbox's is known; a configured target's comes from the config). */
  metricsAuth?: { username: string; password: string };
  /** Default: the target's SLO (p95 300 ms, 1% errors). */
  slo?: Slo;
  /** Install a SIGINT/SIGTERM handler that stops the run gracefully (teardown and clean-up still run). */
  handleSignals?: boolean;
  /** PgBouncer admin console URL: connection-loss drops the pooler's connections too. */
  poolerAdminUrl?: string;
  /** A local pgbouncer.ini (pool.pgbouncerRestart): connection-loss restarts PgBouncer instead of KILL + RESUME. */
  pgbouncerRestart?: { configFile: string };
}

export interface LaunchRunResult {
  run: RunScenarioResult;
  exitCode: number;
  bottleneck: BottleneckReport;
  invariants: InvariantResult[];
  /** Every booking the run created, cancelled and checked again; `leftover` lists the ones still active. */
  cleanup: CleanupResult;
  /** Set when the scenario could not run (no bookable slot, ...): the reason and the setting that fixes it. */
  notRun: string | undefined;
  /** The connection-loss verdict (burst, recovery) when the scenario is connection-loss. */
  connectionLoss: ConnectionLossReport | undefined;
}

/** What the launch scenarios read from __ENV, derived from the target; the user's -e values win. */
export function buildLaunchEnv(
  target: ResolvedTarget | undefined,
  journalUrl: string,
  userEnv: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = { PREFLIGHT_JOURNAL_URL: journalUrl, PREFLIGHT_DEFER_CLEANUP: '1' };
  if (target) {
    env.RL_GLOBAL = String(target.rateLimits.globalPerIpPerMinute);
    env.RL_LOGIN_IP = String(target.rateLimits.loginPerIpPerMinute);
    env.RL_LOGIN_EMAIL = String(target.rateLimits.loginPerEmailPerMinute);
    env.RL_BOOKINGS = String(target.rateLimits.bookingsPerUserPerMinute);
    env.SLO_P95_MS = String(target.slo.p95Ms);
    env.SLO_P99_MS = String(target.slo.p99Ms);
    env.SLO_ERROR_RATE = String(target.slo.errorRate);
    env.CL_MAX_FAILED_RATE = String(target.slo.connectionLossFailedRate);
    const students = target.sandbox?.loadTestStudents;
    if (students) {
      env.LOAD_STUDENT_EMAILS = students.emails.join(',');
      env.LOAD_STUDENT_PASSWORD = students.password;
      registerSecret(students.password);
    }
  }
  return { ...env, ...userEnv };
}

/** The accounts whose bookings clean-up may cancel through the API: only test accounts. */
function listTestStudents(
  target: ResolvedTarget | undefined,
  env: Record<string, string>,
): Array<{ email: string; password: string }> {
  const students: Array<{ email: string; password: string }> = [];
  if (env.LOAD_STUDENT_EMAILS && env.LOAD_STUDENT_PASSWORD)
    for (const email of env.LOAD_STUDENT_EMAILS.split(',').filter(Boolean))
      students.push({ email, password: env.LOAD_STUDENT_PASSWORD });
  for (const role of ['studentA', 'studentB'] as const) {
    const account = target?.accounts[role];
    if (account?.password) students.push({ email: account.email, password: account.password });
  }
  return students;
}

function startRunSampler(target: ResolvedTarget | undefined, options: LaunchRunOptions) {
  const interval = options.sampleIntervalMs ?? 2000;
  if (!target || interval <= 0) return undefined;
  // through the target's HTTP layer: host guard, and the bypass header so sampling never spends a rate limit
  return startTargetSampler(target, { intervalMs: interval, metricsAuth: options.metricsAuth });
}

export async function runLaunchScenario(options: LaunchRunOptions): Promise<LaunchRunResult> {
  assertLoadAllowed(options.target, options.acknowledgeProduction === true);
  // checked before anything starts: connection-loss needs the admin URL and whose sessions to cut
  const lossPlan = isConnectionLossScenario(options.scenario)
    ? planConnectionLoss(options.target, options.env ?? {}, options.poolerAdminUrl, options.pgbouncerRestart)
    : undefined;
  const journal = await startBookingJournal();
  // the journal is preflight's own loopback endpoint: the run may reach it besides the target's hosts
  const target = options.target && {
    ...options.target,
    allowedHosts: [...options.target.allowedHosts, new URL(journal.url).hostname],
  };
  const env = buildLaunchEnv(target, journal.url, options.env);
  const slo = options.slo ?? { p95Ms: target?.slo.p95Ms ?? 300, errorRate: target?.slo.errorRate ?? 0.01 };
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const interrupt = options.handleSignals
    ? onInterrupt(controller, {
        onFirst: () =>
          options.onNotice?.(
            'interrupted: stopping the run; teardown and clean-up still run (press Ctrl-C again to force)',
          ),
      })
    : undefined;
  let testStartMs: number | undefined;
  const onProgress = (progress: Progress) => {
    testStartMs ??= Date.now() - progress.elapsedMs;
    connectionLoss?.arm(testStartMs);
    options.onProgress?.(progress);
  };
  const connectionLoss = lossPlan && startConnectionLoss(lossPlan, options.onNotice);
  const sampler = startRunSampler(target, options);
  let samples: ResourceSample[] = [];
  let lossEvent: Awaited<ReturnType<NonNullable<typeof connectionLoss>['stop']>> | undefined;
  let run: RunScenarioResult | undefined;
  let cleanup: CleanupResult = {
    method: 'none',
    created: 0,
    bookings: [],
    removed: 0,
    leftover: [],
    errors: [],
  };
  const invariants: InvariantResult[] = [];
  try {
    run = await runScenario({
      ...options,
      target,
      env,
      onProgress,
      signal: controller.signal,
      // a booking answered after Ctrl-C is still recorded in the journal, so clean-up removes it too
      afterAbortUrls: [journal.url],
    });
  } finally {
    lossEvent = await connectionLoss?.stop();
    samples = (await sampler?.stop()) ?? [];
    const readonlyUrl = target?.database.readonlyUrl;
    try {
      // invariants first: clean-up would hide what the run broke
      if (readonlyUrl && run && target)
        invariants.push(
          await checkBookingOverlaps(readonlyUrl, target.platform.database.bookingOverlapQuery),
        );
    } finally {
      cleanup = await cleanupBookings(target, journal.bookings(), listTestStudents(target, env));
      await journal.stop();
      options.signal?.removeEventListener('abort', onOuterAbort);
      interrupt?.dispose();
    }
  }
  const startMs = testStartMs ?? Date.parse(run.summary.startedAt);
  const bottleneck = analyzeBottleneck({ samples, series: run.series, testStartMs: startMs, slo });
  const failedInvariant = invariants.some((i) => !i.ok);
  const abortReason = run.summary.abort?.reason;
  const notRun = abortReason?.startsWith('not run: ') ? abortReason.slice('not run: '.length) : undefined;
  const lossReport =
    lossEvent && target
      ? analyzeConnectionLoss(
          run.series,
          lossEvent,
          {
            recoverySeconds: target.slo.recoverySeconds,
            failedRate: target.slo.connectionLossFailedRate,
            p95Ms: slo.p95Ms,
            errorRate: slo.errorRate,
          },
          { rateLimited: run.summary.metrics.connection_loss_rate_limited?.values.count },
        )
      : undefined;
  const failed = run.exitCode !== 0 || failedInvariant || cleanup.leftover.length > 0 || notRun;
  const exitCode = failed || (lossReport && !lossReport.ok) ? 1 : 0;
  const result: LaunchRunResult = {
    run,
    exitCode,
    bottleneck,
    invariants,
    cleanup,
    notRun,
    connectionLoss: lossReport,
  };
  if (run.resultsDir) {
    const report = { exitCode, notRun, bottleneck, invariants, cleanup, connectionLoss: lossReport, samples };
    writeFileSync(join(run.resultsDir, 'launch.json'), `${JSON.stringify(redactValue(report), null, 2)}\n`);
  }
  return result;
}
