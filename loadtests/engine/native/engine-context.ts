/** Creates the shared state of a native run (one per thread). */
import { fileURLToPath } from 'node:url';
import { redact } from '../../../src/core/redact.js';
import { MetricRegistry } from '../metrics/registry.js';
import { TimeSeriesRecorder } from '../metrics/timeseries.js';
import type { K6Options } from '../scenario/options.js';
import { describeIterationError, formatIterationError, IterationErrorTally } from '../summary/no-success.js';
import { createUrlGuard, type GuardSpec, isAllowedAfterAbort } from '../target/host-guard.js';
import { now } from './clock.js';
import { type AbortInfo, createGroupNode, type EngineContext, getBuiltinMetrics } from './context.js';

/** The engine's own files (as URL and as path), whose frames an iteration error's stack leaves out. */
const engineRootUrl = new URL('../', import.meta.url);
const engineRoots = [engineRootUrl.href, fileURLToPath(engineRootUrl)];

export interface EngineInit {
  scriptPath: string;
  env: Record<string, string>;
  options: K6Options;
  guard: GuardSpec;
  globalTags: Record<string, string>;
  thresholdKeys: string[];
  trackSeries: boolean;
  /** Shared across workers so their seconds line up (performance.timeOrigin-independent). */
  testStartEpochMs?: number;
  maxLoggedErrors?: number;
}

export interface NativeEngine extends EngineContext {
  iterationErrors: number;
  /** Iteration errors by message (the first distinct ones). */
  iterationErrorTally: IterationErrorTally;
}

export function createEngine(init: EngineInit): NativeEngine {
  const registry = new MetricRegistry();
  if (init.trackSeries) registry.enableSeries();
  for (const key of init.thresholdKeys) registry.addSelector(key);
  const metrics = getBuiltinMetrics(registry);
  const controller = new AbortController();
  const abortListeners = new Set<() => void>();
  controller.signal.addEventListener(
    'abort',
    () => {
      const listeners = [...abortListeners];
      abortListeners.clear();
      for (const listener of listeners) listener();
    },
    { once: true },
  );
  const epoch = init.testStartEpochMs ?? Date.now();
  const start = now() - (Date.now() - epoch);
  const maxLogged = init.maxLoggedErrors ?? 10;
  const engine: NativeEngine = {
    registry,
    metrics,
    series: new TimeSeriesRecorder(start, now),
    rootGroup: createGroupNode('', ''),
    env: init.env,
    options: init.options,
    scriptPath: init.scriptPath,
    guardUrl: createUrlGuard(init.guard),
    allowedAfterAbort: (url) => isAllowedAfterAbort(init.guard, url),
    aborted: undefined,
    abortSignal: controller.signal,
    abort(info: AbortInfo) {
      if (engine.aborted) return;
      engine.aborted = info;
      controller.abort();
    },
    onAbort(listener: () => void) {
      abortListeners.add(listener);
      return () => abortListeners.delete(listener);
    },
    iterationErrors: 0,
    iterationErrorTally: new IterationErrorTally(),
    reportIterationError(error, vuId) {
      engine.iterationErrors++;
      engine.iterationErrorTally.add(describeIterationError(error));
      if (engine.iterationErrors <= maxLogged) {
        process.stderr.write(
          `${redact(`[VU ${vuId}] iteration failed: ${formatIterationError(error, engineRoots)}`)}\n`,
        );
        if (engine.iterationErrors === maxLogged)
          process.stderr.write('(further iteration errors are counted, not printed)\n');
      }
    },
    testStartMs: start,
    testStartEpochMs: epoch,
    vusActive: 0,
    vusMax: 0,
    globalTags: init.globalTags,
  };
  return engine;
}
