/**
 * A scenario run with what k6 alone cannot do: the production guard, the run's booking marker and test accounts,
 * resource sampling aligned with client latency (bottleneck report), database invariants after the run, and
 * clean-up by marker that also runs when the run fails or is interrupted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactValue, registerSecret } from '../../src/redact.js';
import { assertAllowedUrl, type ResolvedTarget } from '../../src/target.js';
import type { Progress } from '../engine/native.js';
import { type RunScenarioOptions, type RunScenarioResult, runScenario } from '../engine/run.js';
import { analyzeBottleneck, type BottleneckReport, type Slo } from './bottleneck.js';
import { type CleanupResult, cleanupMarkedBookings, countMarkedBookings, createMarker } from './cleanup.js';
import { checkBookingOverlaps, type InvariantResult } from './invariants.js';
import { assertLoadAllowed } from './safety.js';
import { type ResourceSample, startSampler } from './sampler.js';

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
}

export interface LaunchRunResult {
  run: RunScenarioResult;
  exitCode: number;
  marker: string;
  bottleneck: BottleneckReport;
  invariants: InvariantResult[];
  cleanup: CleanupResult;
  /** Active bookings with the marker after clean-up (undefined without a database URL). */
  leftoverBookings: number | undefined;
}

/** What the launch scenarios read from __ENV, derived from the target; the user's -e values win. */
export function buildLaunchEnv(
  target: ResolvedTarget | undefined,
  marker: string,
  userEnv: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = { LOAD_MARKER: marker, PREFLIGHT_DEFER_CLEANUP: '1' };
  if (target) {
    env.RL_GLOBAL = String(target.rateLimits.globalPerIpPerMinute);
    env.RL_LOGIN_IP = String(target.rateLimits.loginPerIpPerMinute);
    env.RL_LOGIN_EMAIL = String(target.rateLimits.loginPerEmailPerMinute);
    env.RL_BOOKINGS = String(target.rateLimits.bookingsPerUserPerMinute);
    env.SLO_P95_MS = String(target.slo.p95Ms);
    env.SLO_P99_MS = String(target.slo.p99Ms);
    env.SLO_ERROR_RATE = String(target.slo.errorRate);
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

function startTargetSampler(target: ResolvedTarget | undefined, options: LaunchRunOptions) {
  const interval = options.sampleIntervalMs ?? 2000;
  if (!target || interval <= 0) return undefined;
  const metricsUrl = `${target.apiBase}${target.metricsPath}`;
  assertAllowedUrl(target, metricsUrl);
  return startSampler({
    metricsUrl,
    metricsAuth: options.metricsAuth ?? target.sandbox?.metricsAuth,
    // the twin's read-only role cannot see other sessions' states; its admin URL can (read-only queries only)
    databaseUrl: target.sandbox ? target.database.adminUrl : target.database.readonlyUrl,
    intervalMs: interval,
  });
}

export async function runLaunchScenario(options: LaunchRunOptions): Promise<LaunchRunResult> {
  const target = options.target;
  assertLoadAllowed(target, options.acknowledgeProduction === true);
  const marker = createMarker();
  const env = buildLaunchEnv(target, marker, options.env);
  const slo = options.slo ?? { p95Ms: target?.slo.p95Ms ?? 300, errorRate: target?.slo.errorRate ?? 0.01 };
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const onSignal = () => {
    options.onNotice?.(
      'interrupted: stopping the run; teardown and clean-up still run (press Ctrl-C again to force)',
    );
    controller.abort();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let testStartMs: number | undefined;
  const onProgress = (progress: Progress) => {
    testStartMs ??= Date.now() - progress.elapsedMs;
    options.onProgress?.(progress);
  };
  const sampler = startTargetSampler(target, options);
  let samples: ResourceSample[] = [];
  let run: RunScenarioResult | undefined;
  let cleanup: CleanupResult = { method: 'none', removed: 0, errors: [] };
  const invariants: InvariantResult[] = [];
  let leftoverBookings: number | undefined;
  try {
    run = await runScenario({ ...options, env, onProgress, signal: controller.signal });
  } finally {
    samples = (await sampler?.stop()) ?? [];
    const readonlyUrl = target?.database.readonlyUrl;
    try {
      // invariants first: clean-up would hide what the run broke
      if (readonlyUrl && run) invariants.push(await checkBookingOverlaps(readonlyUrl));
    } finally {
      cleanup = await cleanupMarkedBookings(target, marker, listTestStudents(target, env));
      if (readonlyUrl)
        leftoverBookings = await countMarkedBookings(readonlyUrl, marker).catch(() => undefined);
      options.signal?.removeEventListener('abort', onOuterAbort);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  const startMs = testStartMs ?? Date.parse(run.summary.startedAt);
  const bottleneck = analyzeBottleneck({ samples, series: run.series, testStartMs: startMs, slo });
  const failedInvariant = invariants.some((i) => !i.ok);
  const exitCode = run.exitCode !== 0 ? run.exitCode : failedInvariant ? 1 : 0;
  const result: LaunchRunResult = {
    run,
    exitCode,
    marker,
    bottleneck,
    invariants,
    cleanup,
    leftoverBookings,
  };
  if (run.resultsDir) {
    const report = { marker, exitCode, bottleneck, invariants, cleanup, leftoverBookings, samples };
    writeFileSync(join(run.resultsDir, 'launch.json'), `${JSON.stringify(redactValue(report), null, 2)}\n`);
  }
  return result;
}
