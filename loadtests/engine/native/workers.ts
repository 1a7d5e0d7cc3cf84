/** Spreads a native run over worker threads (`--workers N`): each runs a segment, the main thread merges. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { PreflightError } from '../../../src/core/errors.js';
import type { MetricSnapshot } from '../metrics/registry.js';
import type { Threshold } from '../metrics/thresholds.js';
import type { RawBucket, TimeSeriesMerger } from '../metrics/timeseries.js';
import type { RemoteWriteConfig } from '../outputs/remote-write.js';
import type { K6Options, ScenarioPlan } from '../scenario/options.js';
import type { GuardSpec } from '../target/host-guard.js';
import { now } from './clock.js';
import type { GroupNode } from './context.js';
import type { NativeEngine } from './engine-context.js';
import { segmentPlan } from './segments.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

export interface WorkerRun {
  engine: NativeEngine;
  code: string;
  scriptPath: string;
  options: K6Options;
  plans: ScenarioPlan[];
  env: Record<string, string>;
  guard: GuardSpec;
  globalTags: Record<string, string>;
  setupJson: string | undefined;
  workers: number;
  thresholds: Threshold[];
  /** Sub-metric keys tracked besides the thresholds' (per-scenario stats). */
  extraKeys: string[];
  merger: TimeSeriesMerger;
  remoteWrite: RemoteWriteConfig | undefined;
  onTick: () => void;
}

let bundledWorker: Promise<string> | undefined;

/** The worker entry as one self-contained ES module (works from the TypeScript sources and from dist/). */
function bundleWorker(): Promise<string> {
  bundledWorker ??= (async () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const entry = ['worker.ts', 'worker.js'].map((f) => join(here, f)).find((f) => existsSync(f));
    if (!entry) throw new PreflightError('E_INTERNAL', `native engine worker entry not found in ${here}`);
    const result = await build({
      entryPoints: [entry],
      outfile: 'worker.mjs',
      write: false,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    const code = result.outputFiles[0]?.text;
    if (code === undefined)
      throw new PreflightError('E_INTERNAL', 'bundling the native engine worker gave no output');
    return code;
  })();
  return bundledWorker;
}

/** Writes the bundled worker into a directory of its own; the run removes it when its workers have ended. */
async function writeWorkerFile(): Promise<{ file: string; remove: () => void }> {
  const code = await bundleWorker();
  const dir = mkdtempSync(join(tmpdir(), 'preflight-worker-'));
  const file = join(dir, 'worker.mjs');
  writeFileSync(file, code);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function mergeGroups(
  into: GroupNode,
  from: {
    name: string;
    path: string;
    checks: Array<{ name: string; passes: number; fails: number }>;
    groups: unknown[];
  },
): void {
  for (const check of from.checks) {
    const existing = into.checks.get(check.name);
    if (existing) {
      existing.passes += check.passes;
      existing.fails += check.fails;
    } else into.checks.set(check.name, { ...check });
  }
  for (const child of from.groups as Array<typeof from>) {
    let node = into.groups.get(child.name);
    if (!node) {
      node = { name: child.name, path: child.path, groups: new Map(), checks: new Map() };
      into.groups.set(child.name, node);
    }
    mergeGroups(node, child);
  }
}

/** Runs the plans on N workers and merges metrics, checks and time series into `engine`. */
export async function runOnWorkers(run: WorkerRun): Promise<void> {
  const { file, remove: removeWorkerFile } = await writeWorkerFile();
  const needsSnapshots = run.thresholds.some((t) => t.abortOnFail);
  const states = new Map<
    number,
    { vusActive: number; vusMax: number; snapshot?: MetricSnapshot[]; iterationErrors: number }
  >();
  const workers: Worker[] = [];
  const finished: Array<Promise<void>> = [];
  const ready: Array<Promise<void>> = [];
  const { engine } = run;
  const onAbort = () => {
    for (const w of workers) w.postMessage({ type: 'abort', info: { ...engine.aborted, error: undefined } });
  };
  engine.abortSignal.addEventListener('abort', onAbort, { once: true });
  try {
    for (let index = 0; index < run.workers; index++) {
      const plans = run.plans
        .map((p) => segmentPlan(p, index, run.workers))
        .filter((p): p is ScenarioPlan => p !== undefined);
      if (plans.length === 0) continue;
      const input: WorkerInput = {
        index,
        count: run.workers,
        code: run.code,
        scriptPath: run.scriptPath,
        options: run.options,
        plans,
        env: run.env,
        guard: run.guard,
        globalTags: run.globalTags,
        thresholdKeys: [...run.thresholds.map((t) => t.metric), ...run.extraKeys],
        setupJson: run.setupJson,
        snapshotEveryMs: needsSnapshots ? 2000 : 0,
        remoteWrite: run.remoteWrite
          ? {
              url: run.remoteWrite.url,
              intervalMs: run.remoteWrite.intervalMs,
              trendStats: run.remoteWrite.trendStats,
            }
          : undefined,
      };
      const worker = new Worker(file, { workerData: input });
      workers.push(worker);
      states.set(index, { vusActive: 0, vusMax: 0, iterationErrors: 0 });
      let markReady: () => void = () => {};
      ready.push(new Promise((r) => (markReady = r)));
      finished.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: WorkerMessage) => {
            try {
              handleMessage(message);
            } catch (error) {
              reject(error);
            }
          });
          const handleMessage = (message: WorkerMessage) => {
            const state = states.get(index)!;
            if (message.type === 'ready') markReady();
            else if (message.type === 'tick') {
              run.merger.add(message.buckets as RawBucket[]);
              state.vusActive = message.vusActive;
              state.vusMax = message.vusMax;
              state.iterationErrors = message.iterationErrors;
              if (message.snapshot) state.snapshot = message.snapshot as MetricSnapshot[];
              engine.vusActive = [...states.values()].reduce((s, x) => s + x.vusActive, 0);
              engine.vusMax = [...states.values()].reduce((s, x) => s + x.vusMax, 0);
              if (needsSnapshots && [...states.values()].every((s) => s.snapshot)) {
                const before = engine.registry;
                const merged = new (before.constructor as new () => typeof before)();
                for (const key of run.thresholds.map((t) => t.metric)) merged.addSelector(key);
                for (const s of states.values()) merged.merge(s.snapshot!);
                const original = engine.registry;
                (engine as { registry: typeof original }).registry = merged;
                run.onTick();
                (engine as { registry: typeof original }).registry = original;
              }
            } else if (message.type === 'done') {
              run.merger.add(message.buckets as RawBucket[]);
              engine.registry.merge(message.snapshot as MetricSnapshot[]);
              mergeGroups(engine.rootGroup, message.groups as Parameters<typeof mergeGroups>[1]);
              engine.iterationErrors += message.iterationErrors;
              engine.iterationErrorTally.merge(message.iterationErrorTally);
              if (message.aborted) engine.abort(message.aborted);
              resolve();
            } else if (message.type === 'error') {
              reject(
                new PreflightError(
                  message.code === 'E_UNSUPPORTED_API' ? 'E_UNSUPPORTED_API' : 'E_K6_SCRIPT',
                  `worker ${index}: ${message.message}`,
                ),
              );
            }
          };
          worker.on('error', reject);
          worker.on('exit', (code) =>
            code === 0
              ? resolve()
              : reject(new PreflightError('E_INTERNAL', `worker ${index} exited with ${code}`)),
          );
        }),
      );
    }
    await Promise.race([Promise.all(ready), Promise.all(finished)]);
    const startEpochMs = Date.now();
    // The test starts when every worker is ready (bundling and VU creation are not test time).
    engine.testStartEpochMs = startEpochMs;
    engine.testStartMs = now();
    engine.series.setStart(engine.testStartMs);
    for (const w of workers) w.postMessage({ type: 'start', startEpochMs });
    await Promise.all(finished);
    engine.registry.add(engine.metrics.vus_max, engine.vusMax, engine.globalTags);
  } finally {
    engine.abortSignal.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
    removeWorkerFile();
  }
}
