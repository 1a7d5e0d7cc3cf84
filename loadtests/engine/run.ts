/**
 * The public API of the load engine: `runScenario()` bundles a portable k6 script, runs it on k6 or the native
 * engine, normalizes the summary, writes results/<run-id>/ and returns the verdict with preflight's exit code.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PreflightError } from '../../src/core/errors.js';
import { registerSecret } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';
import { findK6, runK6 } from './k6/k6-engine.js';
import { normalizeK6Data } from './k6/normalize.js';
import type { SeriesPoint } from './metrics/timeseries.js';
import { type NativeRunResult, type Progress, readScriptExports, runNative } from './native/native.js';
import { createRunId, writeResults } from './outputs/results.js';
import { assertNativeSupport, bundleScenario } from './scenario/bundle.js';
import { applyEnvOptions } from './scenario/env-options.js';
import { resolveScenarioPath } from './scenario/find-scenario.js';
import { type K6Options, planScenarios, type ScenarioPlan } from './scenario/options.js';
import { findNothingSucceeded, importsHttp } from './summary/no-success.js';
import { buildRunSummary, type RunSummary } from './summary/summary.js';
import { createGuardSpec } from './target/host-guard.js';
import { assertReachable } from './target/reachability.js';
import { getTargetEnv } from './target/target-env.js';

export type EngineChoice = 'k6' | 'native';

export interface RunScenarioOptions {
  /** A name from loadtests/scenarios/ or a path to a script. */
  scenario: string;
  cwd?: string;
  /** Default: k6 when found (PATH or K6_BIN), else native. */
  engine?: EngineChoice;
  /** The resolved target; without one, only loopback hosts (and `allowedHosts`) may be reached. */
  target?: ResolvedTarget;
  allowedHosts?: string[];
  /**
   * URL prefixes the native engine's VUs may still request after an abort (the launch layer's booking journal), so a
   * request in flight at Ctrl-C that created something is still recorded.
   */
  afterAbortUrls?: string[];
  /** `-e KEY=VALUE` (override the target's values). */
  env?: Record<string, string>;
  vus?: number;
  duration?: string;
  iterations?: number;
  /** Native engine worker threads. */
  workers?: number;
  /** `--out` values, e.g. `prometheus-rw=http://127.0.0.1:9090/api/v1/write`. */
  outputs?: string[];
  /** testid tag on every sample (default: the run id). */
  testid?: string;
  /** Default `<cwd>/results`; `false` writes nothing. */
  resultsDir?: string | false;
  onProgress?: (progress: Progress) => void;
  /** One-line notices (engine choice). */
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
  /** Skip the TCP reachability check of the target (tests of unreachable hosts use it on). */
  checkReachable?: boolean;
  processEnv?: NodeJS.ProcessEnv;
}

export interface RunScenarioResult {
  summary: RunSummary;
  exitCode: number;
  engine: EngineChoice;
  resultsDir: string | undefined;
  series: SeriesPoint[];
  plans: ScenarioPlan[];
  /** handleSummary's stdout text, when the script returned one. */
  summaryStdout: string | undefined;
}

function chooseEngine(
  requested: EngineChoice | undefined,
  env: NodeJS.ProcessEnv,
  notice?: (m: string) => void,
): { engine: EngineChoice; k6Path?: string } {
  const k6Path = findK6(env);
  if (requested === 'k6') {
    if (!k6Path) {
      throw new PreflightError('E_TOOL_MISSING', 'k6 was not found (PATH or K6_BIN)', {
        hint: 'install k6, set K6_BIN, or run with --engine native',
      });
    }
    return { engine: 'k6', k6Path };
  }
  if (requested === 'native') return { engine: 'native' };
  if (k6Path) {
    notice?.(`engine: k6 (${k6Path}); use --engine native for the built-in engine`);
    return { engine: 'k6', k6Path };
  }
  notice?.('engine: native (k6 not found on PATH or in K6_BIN)');
  return { engine: 'native' };
}

function parseOutputs(outputs: string[]): { remoteWriteUrl: string | undefined } {
  let remoteWriteUrl: string | undefined;
  for (const out of outputs) {
    const [kind, ...rest] = out.split('=');
    if ((kind === 'prometheus-rw' || kind === 'experimental-prometheus-rw') && rest.length)
      remoteWriteUrl = rest.join('=');
    else if (kind === 'prometheus-rw' || kind === 'experimental-prometheus-rw') {
      remoteWriteUrl = process.env.K6_PROMETHEUS_RW_SERVER_URL ?? 'http://localhost:9090/api/v1/write';
    } else
      throw new PreflightError('E_USAGE', `Unsupported output \`${out}\``, {
        hint: 'use --out prometheus-rw=URL',
      });
  }
  return { remoteWriteUrl };
}

type Verdict = { exitCode: number; status: RunSummary['status'] };

/** A run that would pass but did nothing that succeeded fails (exit 1) as `no-success`. */
function failWhenNothingSucceeded(verdict: Verdict, nothingSucceeded: string | undefined): Verdict {
  if (!nothingSucceeded || verdict.status !== 'passed') return verdict;
  return { exitCode: 1, status: 'no-success' };
}

function exitFromNative(result: NativeRunResult): Verdict {
  if (result.aborted?.kind === 'fatal')
    throw result.aborted.error ?? new PreflightError('E_K6_SCRIPT', result.aborted.reason);
  const failed = result.thresholds.some((t) => !t.ok);
  if (result.aborted) return { exitCode: 1, status: 'aborted' };
  return failed ? { exitCode: 1, status: 'thresholds-failed' } : { exitCode: 0, status: 'passed' };
}

/** Runs one scenario end to end; throws PreflightError for usage, script and reachability problems. */
export async function runScenario(options: RunScenarioOptions): Promise<RunScenarioResult> {
  const cwd = options.cwd ?? process.cwd();
  const processEnv = options.processEnv ?? process.env;
  const path = resolveScenarioPath(options.scenario, cwd);
  const { engine, k6Path } = chooseEngine(options.engine, processEnv, options.onNotice);
  const outputs = options.outputs ?? [];
  const { remoteWriteUrl } = parseOutputs(outputs);
  const env: Record<string, string> = {
    ...(options.target ? getTargetEnv(options.target) : {}),
    ...(options.env ?? {}),
  };
  for (const [key, value] of Object.entries(options.env ?? {}))
    if (/PASSWORD|TOKEN|SECRET|KEY/i.test(key)) registerSecret(value);
  const startedAt = new Date();
  const runId = createRunId(path, startedAt);
  const testid = options.testid ?? runId;
  const guard = createGuardSpec(options.target, options.allowedHosts, options.afterAbortUrls);
  if (options.checkReachable !== false) {
    const base = options.target?.baseUrl ?? env.BASE_URL;
    if (base) await assertReachable(base);
  }
  const bundle = await bundleScenario(path, { summaryHook: engine === 'k6', runnerTags: engine === 'k6' });
  const usesHttp = importsHttp(bundle.esm);
  const resultsRoot = options.resultsDir === false ? undefined : (options.resultsDir ?? join(cwd, 'results'));

  let summary: RunSummary;
  let series: SeriesPoint[] = [];
  let plans: ScenarioPlan[];
  let summaryStdout: string | undefined;
  if (engine === 'native') {
    assertNativeSupport(bundle);
    const exports = readScriptExports(bundle.cjs, path, env);
    const k6Options = applyEnvOptions((exports.options ?? {}) as K6Options, processEnv);
    plans = planScenarios(k6Options, {
      vus: options.vus,
      duration: options.duration,
      iterations: options.iterations,
    });
    const result = await runNative({
      code: bundle.cjs,
      scriptPath: path,
      options: k6Options,
      plans,
      env,
      guard,
      // Each process is its own runner in Prometheus (as each k6-operator pod is), so series never collide.
      globalTags: remoteWriteUrl ? { testid, runner: `${hostname()}-${process.pid}` } : { testid },
      workers: options.workers,
      remoteWrite: remoteWriteUrl ? { url: remoteWriteUrl } : undefined,
      onProgress: options.onProgress,
      signal: options.signal,
      cwd,
    });
    const data = normalizeK6Data(result.data);
    const nothingSucceeded = findNothingSucceeded({
      metrics: data.metrics,
      iterationErrors: result.iterationErrors,
      usesHttp,
    });
    const verdict = failWhenNothingSucceeded(exitFromNative(result), nothingSucceeded);
    series = result.series;
    summaryStdout = result.summaryOutputs.stdout;
    const thresholds = result.thresholds.map((t) => ({
      metric: t.metric,
      source: t.source,
      ok: t.ok,
      ...(t.observed === undefined ? {} : { observed: t.observed }),
      abortOnFail: t.abortOnFail,
    }));
    summary = buildRunSummary(data, {
      runId,
      engine: 'native',
      script: path,
      target: options.target?.name,
      startedAt: result.startedAt.toISOString(),
      durationMs: result.durationMs,
      status: verdict.status,
      exitCode: verdict.exitCode,
      abort: result.aborted ? { kind: result.aborted.kind, reason: result.aborted.reason } : undefined,
      scenarios: result.scenarioStats,
      iterationErrors: result.iterationErrors,
      iterationErrorMessages: result.iterationErrorTally,
      nothingSucceeded,
      thresholds,
      source: 'native',
      workers: result.workers,
    });
  } else {
    plans = [];
    const result = await runK6({
      esm: bundle.esm,
      k6Path: k6Path!,
      env: { ...env, PREFLIGHT_TESTID: testid },
      vus: options.vus,
      duration: options.duration,
      iterations: options.iterations,
      outputs,
      tags: { testid },
      signal: options.signal,
    });
    if (result.meaning.status === 'error') {
      throw new PreflightError(
        result.meaning.exitCode === 2 ? 'E_K6_SCRIPT' : 'E_TOOL_FAILED',
        `k6: ${result.meaning.reason} (exit ${result.k6ExitCode})`,
        {
          hint: 'see the k6 output above',
          exitCode: result.meaning.exitCode as 1 | 2,
        },
      );
    }
    series = result.series;
    if (!result.data) {
      throw new PreflightError(
        'E_TOOL_FAILED',
        `k6 exited with ${result.k6ExitCode} without writing its summary`,
        { hint: 'see the k6 output above' },
      );
    }
    // k6 logs each iteration exception (source=stacktrace); runK6 counts them from its stderr
    const nothingSucceeded = findNothingSucceeded({
      metrics: result.data.metrics,
      iterationErrors: result.iterationErrors,
      usesHttp,
    });
    const verdict = failWhenNothingSucceeded(result.meaning, nothingSucceeded);
    summary = buildRunSummary(result.data, {
      runId,
      engine: 'k6',
      script: path,
      target: options.target?.name,
      startedAt: startedAt.toISOString(),
      durationMs: result.data.durationMs ?? result.durationMs,
      status: verdict.status,
      exitCode: verdict.exitCode,
      abort: result.meaning.status === 'aborted' ? { kind: 'k6', reason: result.meaning.reason } : undefined,
      scenarios: [],
      iterationErrors: result.iterationErrors,
      iterationErrorMessages: result.iterationErrorTally,
      nothingSucceeded,
      workers: 1,
    });
  }
  const written = resultsRoot ? writeResults(resultsRoot, summary, series) : undefined;
  return {
    summary,
    exitCode: summary.exitCode,
    engine,
    resultsDir: written?.dir,
    series,
    plans,
    summaryStdout,
  };
}
