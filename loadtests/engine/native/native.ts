/** The native engine: setup, scenarios (in this thread or on worker threads), thresholds, teardown, handleSummary. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PreflightError } from '../../../src/core/errors.js';
import { redact } from '../../../src/core/redact.js';
import { closeHttpAgent } from '../http/pool.js';
import { buildK6Data, type K6SummaryData, reportedTrendStats } from '../k6/summary-data.js';
import type { Metric } from '../metrics/registry.js';
import type { MetricType } from '../metrics/sinks.js';
import {
  evaluateThresholds,
  parseThresholds,
  type Threshold,
  type ThresholdResult,
  validateThresholds,
} from '../metrics/thresholds.js';
import { type SeriesPoint, TimeSeriesMerger } from '../metrics/timeseries.js';
import { type RemoteWriteConfig, startRemoteWrite } from '../outputs/remote-write.js';
import { getScenarioNominalMs, type K6Options, type ScenarioPlan } from '../scenario/options.js';
import type { ErrorTally } from '../summary/no-success.js';
import { getScenarioStatKeys, getScenarioStats, type ScenarioStats } from '../summary/scenario-stats.js';
import type { GuardSpec } from '../target/host-guard.js';
import { now } from './clock.js';
import type { AbortInfo } from './context.js';
import { createEngine, type NativeEngine } from './engine-context.js';
import { AbortedError } from './modules/k6-http.js';
import { runScenarios } from './run-scenarios.js';
import { compileScript, createVu, type ScriptExports, type Vu } from './vu.js';
import { getInitialVus, VuPool } from './vu-pool.js';
import { runOnWorkers } from './workers.js';

export interface Progress {
  elapsedMs: number;
  vus: number;
  vusMax: number;
  rps: number;
  p95: number;
  errorRate: number;
  iterations: number;
  droppedIterations: number;
  /** Planned duration when every scenario is time-bound (for a progress bar). */
  nominalMs: number | undefined;
}

export interface NativeRunOptions {
  /** The CommonJS-style bundle (BundleResult.cjs). */
  code: string;
  scriptPath: string;
  options: K6Options;
  plans: ScenarioPlan[];
  env: Record<string, string>;
  guard: GuardSpec;
  /** Tags on every sample (testid, runner, options.tags). */
  globalTags?: Record<string, string>;
  workers?: number;
  remoteWrite?: RemoteWriteConfig;
  onProgress?: (progress: Progress) => void;
  /** Aborts the run (e.g. SIGINT): iterations stop, teardown and handleSummary still run. */
  signal?: AbortSignal;
  /** Where handleSummary's relative file outputs go (default: cwd). */
  cwd?: string;
  /** Run handleSummary (default true). */
  handleSummary?: boolean;
}

export interface NativeRunResult {
  data: K6SummaryData;
  thresholds: ThresholdResult[];
  series: SeriesPoint[];
  aborted: AbortInfo | undefined;
  durationMs: number;
  iterationErrors: number;
  /** The first distinct iteration error messages with their counts. */
  iterationErrorTally: ErrorTally[];
  startedAt: Date;
  /** handleSummary's stdout/stderr outputs (printed by the caller). */
  summaryOutputs: { stdout?: string; stderr?: string };
  workers: number;
  scenarioStats: ScenarioStats[];
}

/** Evaluates the script's init context once and returns its exports (options, setup, ...). */
export function readScriptExports(
  code: string,
  scriptPath: string,
  env: Record<string, string>,
): ScriptExports {
  return readScriptDefinitions(code, scriptPath, env).exports;
}

export interface MetricDefinition {
  type: MetricType;
  contains: Metric['contains'];
}

/** The script's exports and every metric it knows (k6's built-ins and the custom ones its init context defines). */
export function readScriptDefinitions(
  code: string,
  scriptPath: string,
  env: Record<string, string>,
): { exports: ScriptExports; metrics: Map<string, MetricDefinition> } {
  const engine = createEngine({
    scriptPath,
    env,
    options: {},
    guard: {},
    globalTags: {},
    thresholdKeys: [],
    trackSeries: false,
  });
  const { exports } = evaluateInitContext(engine, code, scriptPath);
  const metrics = new Map<string, MetricDefinition>();
  for (const metric of engine.registry.metrics.values())
    metrics.set(metric.name, { type: metric.type, contains: metric.contains });
  return { exports, metrics };
}

function evaluateInitContext(engine: NativeEngine, code: string, scriptPath: string): Vu {
  try {
    return createVu(engine, compileScript(code, scriptPath), 0, 0);
  } catch (error) {
    if (error instanceof PreflightError) throw error;
    throw new PreflightError(
      'E_K6_SCRIPT',
      `The script failed in its init context: ${redact((error as Error)?.message ?? String(error))}`,
      {
        hint: 'fix the error at the top level of the script (module scope runs once per VU)',
        cause: error,
      },
    );
  }
}

async function callWithTimeout<T>(what: string, timeoutMs: number, fn: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PreflightError('E_K6_SCRIPT', `${what}() timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof PreflightError || error instanceof AbortedError) throw error;
    throw new PreflightError(
      'E_K6_SCRIPT',
      `${what}() failed: ${redact((error as Error)?.stack ?? String(error))}`,
      { cause: error },
    );
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function toTimeoutMs(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  const m = /^(\d+)(ms|s|m)$/.exec(value);
  return m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000) : fallback;
}

/** Evaluates abortOnFail thresholds (after their delayAbortEval) and aborts the run when one fails. */
function checkAbortThresholds(engine: NativeEngine, thresholds: Threshold[], elapsedMs: number): void {
  const candidates = thresholds.filter((t) => t.abortOnFail && elapsedMs >= t.delayAbortEvalMs);
  if (candidates.length === 0 || engine.aborted) return;
  const failed = evaluateThresholds(candidates, engine.registry, elapsedMs / 1000).find((r) => !r.ok);
  if (failed)
    engine.abort({
      kind: 'thresholds',
      reason: `threshold ${failed.metric}: ${failed.source} failed (abortOnFail)`,
    });
}

/** Runs a bundled script on the native engine. */
export async function runNative(run: NativeRunOptions): Promise<NativeRunResult> {
  const thresholds = parseThresholds(run.options.thresholds);
  const workers = Math.max(1, Math.floor(run.workers ?? 1));
  const globalTags = { ...(run.options.tags ?? {}), ...(run.globalTags ?? {}) };
  const engine = createEngine({
    scriptPath: run.scriptPath,
    env: run.env,
    options: run.options,
    guard: run.guard,
    globalTags,
    thresholdKeys: [...thresholds.map((t) => t.metric), ...getScenarioStatKeys(run.plans)],
    trackSeries: run.remoteWrite !== undefined,
  });
  engine.scenarioExecutors = Object.fromEntries(run.plans.map((p) => [p.name, p.executor]));
  const script = compileScript(run.code, run.scriptPath);
  const startedAt = new Date();
  const onExternalAbort = () => engine.abort({ kind: 'interrupt', reason: 'interrupted' });
  run.signal?.addEventListener('abort', onExternalAbort, { once: true });
  const merger = new TimeSeriesMerger();
  let remote: Awaited<ReturnType<typeof startRemoteWrite>> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const main = evaluateInitContext(engine, run.code, run.scriptPath);
    validateThresholds(thresholds, engine.registry);
    main.state.tags = { ...globalTags, group: '::setup', scenario: '' };
    main.state.groupPath = '::setup';
    let setupData: unknown;
    try {
      setupData =
        typeof main.exports.setup === 'function'
          ? await callWithTimeout('setup', toTimeoutMs(run.options.setupTimeout, 60_000), () =>
              main.exports.setup!(),
            )
          : undefined;
    } catch (error) {
      // test.abort() in setup ends the run as aborted (no iteration starts), not as a script error
      if (!(error instanceof AbortedError && engine.aborted)) throw error;
    }
    const setupJson = setupData === undefined ? undefined : JSON.stringify(setupData);
    main.state.groupPath = '';
    if (run.remoteWrite && workers === 1)
      remote = startRemoteWrite(run.remoteWrite, () => engine.registry, globalTags);

    const nominals = run.plans.map(getScenarioNominalMs);
    const nominalMs = nominals.every((n) => n !== undefined)
      ? Math.max(...(nominals as number[]))
      : undefined;
    // With workers the main registry fills at the end; the merged per-second series is live.
    const countIterations = () =>
      workers === 1
        ? {
            iterations: (engine.metrics.iterations.sink as { count: number }).count,
            droppedIterations: (engine.metrics.dropped_iterations.sink as { count: number }).count,
          }
        : merger.points().reduce(
            (sum, p) => ({
              iterations: sum.iterations + p.iterations,
              droppedIterations: sum.droppedIterations + p.droppedIterations,
            }),
            { iterations: 0, droppedIterations: 0 },
          );
    const tick = () => {
      const elapsed = now() - engine.testStartMs;
      merger.add(engine.series.drain());
      if (workers === 1) checkAbortThresholds(engine, thresholds, elapsed);
      const latest = merger.latest();
      run.onProgress?.({
        elapsedMs: elapsed,
        vus: engine.vusActive,
        vusMax: engine.vusMax,
        rps: latest?.rps ?? 0,
        p95: latest?.p95 ?? 0,
        errorRate: latest?.errorRate ?? 0,
        ...countIterations(),
        nominalMs,
      });
    };
    ticker = setInterval(tick, 1000);
    ticker.unref();

    const pool = workers === 1 ? new VuPool(engine, script, setupJson, (n) => n) : undefined;
    pool?.preallocate(run.plans.reduce((sum, p) => sum + getInitialVus(p), 0));
    engine.testStartMs = now();
    engine.testStartEpochMs = Date.now();
    engine.series.setStart(engine.testStartMs);
    if (pool) {
      await runScenarios(engine, pool, run.plans);
    } else {
      await runOnWorkers({
        engine,
        code: run.code,
        scriptPath: run.scriptPath,
        options: run.options,
        plans: run.plans,
        env: run.env,
        guard: run.guard,
        globalTags,
        setupJson,
        workers,
        thresholds,
        extraKeys: getScenarioStatKeys(run.plans),
        merger,
        remoteWrite: run.remoteWrite,
        onTick: () => checkAbortThresholds(engine, thresholds, now() - engine.testStartMs),
      });
    }
    const durationMs = now() - engine.testStartMs;
    clearInterval(ticker);
    ticker = undefined;
    merger.add(engine.series.drain(true));

    if (typeof main.exports.teardown === 'function') {
      main.state.tags = { ...globalTags, group: '::teardown', scenario: '' };
      main.state.groupPath = '::teardown';
      const abortedBefore = engine.aborted;
      // teardown runs even after an abort, as in k6
      engine.aborted = undefined;
      try {
        await callWithTimeout('teardown', toTimeoutMs(run.options.teardownTimeout, 60_000), () =>
          main.exports.teardown!(setupData === undefined ? undefined : JSON.parse(setupJson!)),
        );
      } finally {
        engine.aborted = abortedBefore;
      }
    }
    const results = evaluateThresholds(thresholds, engine.registry, durationMs / 1000);
    const data = buildK6Data({
      registry: engine.registry,
      rootGroup: engine.rootGroup,
      thresholds: results,
      durationMs,
      // the script's own stats plus the ones preflight's report reads (as the k6 engine asks k6 for)
      trendStats: [...new Set([...(run.options.summaryTrendStats ?? []), ...reportedTrendStats])],
      setupData,
      hiddenKeys: new Set(
        getScenarioStatKeys(run.plans).filter((k) => !thresholds.some((t) => t.metric === k)),
      ),
    });
    const scenarioStats = getScenarioStats(engine.registry, run.plans, durationMs);
    const summaryOutputs =
      run.handleSummary === false ? {} : await runHandleSummary(main, data, run.cwd ?? process.cwd());
    await remote?.stop();
    remote = undefined;
    return {
      data,
      thresholds: results,
      series: merger.points(),
      aborted: engine.aborted,
      durationMs,
      iterationErrors: engine.iterationErrors,
      iterationErrorTally: engine.iterationErrorTally.list(),
      startedAt,
      summaryOutputs,
      workers,
      scenarioStats,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    run.signal?.removeEventListener('abort', onExternalAbort);
    await remote?.stop().catch(() => undefined);
    await closeHttpAgent();
  }
}

/** Calls the script's handleSummary and writes the files it returns (stdout/stderr are returned). */
async function runHandleSummary(
  main: Vu,
  data: K6SummaryData,
  cwd: string,
): Promise<{ stdout?: string; stderr?: string }> {
  if (typeof main.exports.handleSummary !== 'function') return {};
  const copy = JSON.parse(JSON.stringify(data));
  const outputs = (await callWithTimeout('handleSummary', 120_000, () =>
    main.exports.handleSummary!(copy),
  )) as Record<string, unknown> | undefined;
  const result: { stdout?: string; stderr?: string } = {};
  for (const [key, value] of Object.entries(outputs ?? {})) {
    const text =
      typeof value === 'string'
        ? value
        : value instanceof ArrayBuffer
          ? Buffer.from(value)
          : JSON.stringify(value);
    if (key === 'stdout' || key === 'stderr') result[key] = String(text);
    else {
      const path = resolve(cwd, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  return result;
}
