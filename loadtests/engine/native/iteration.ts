/** One iteration of a VU with k6's metrics (iterations, iteration_duration, the corrected duration) and errors. */
import { isPreflightError } from '../../../src/core/errors.js';
import type { ScenarioPlan } from '../scenario/options.js';
import { now } from './clock.js';
import type { EngineContext } from './context.js';
import { AbortedError } from './modules/k6-http.js';
import type { Vu } from './vu.js';

export interface IterationCounter {
  /** Iterations started in this scenario on this instance (exec.scenario.iterationInTest). */
  next: number;
}

/** Runs one iteration; errors are reported and counted as k6 does, aborts end it quietly. */
export async function runIteration(
  engine: EngineContext,
  vu: Vu,
  plan: ScenarioPlan,
  counter: IterationCounter,
  intendedStartMs?: number,
): Promise<void> {
  const fn = vu.exports[plan.exec];
  const state = vu.state;
  state.scenarioIterationInTest = counter.next++;
  state.intendedStartMs = intendedStartMs;
  const started = now();
  state.startDelayMs = intendedStartMs === undefined ? 0 : Math.max(0, started - intendedStartMs);
  let interrupted = false;
  try {
    if (typeof fn !== 'function')
      throw new Error(`scenario "${plan.name}" executes "${plan.exec}", which the script does not export`);
    await fn(vu.data);
  } catch (error) {
    if (error instanceof AbortedError || engine.aborted || state.hardStopped) interrupted = true;
    else if (
      isPreflightError(error) &&
      (error.code === 'E_UNSUPPORTED_API' || error.code === 'E_TARGET_NOT_ALLOWED')
    ) {
      interrupted = true;
      engine.abort({ reason: error.message, kind: 'fatal', error });
    } else engine.reportIterationError(error, state.id);
  } finally {
    state.iterationInScenario++;
    state.iterationInInstance++;
    state.groupPath = '';
    state.intendedStartMs = undefined;
  }
  if (interrupted || state.hardStopped) return;
  const ended = now();
  const tags = state.tags;
  engine.registry.add(engine.metrics.iterations, 1, tags);
  engine.registry.add(engine.metrics.iteration_duration, ended - started, tags);
  // k6's net trail: every iteration adds to data_sent/data_received (its HTTP bytes are counted per request)
  engine.registry.add(engine.metrics.data_sent, 0, tags);
  engine.registry.add(engine.metrics.data_received, 0, tags);
  if (intendedStartMs !== undefined)
    engine.registry.add(engine.metrics.iteration_duration_corrected, ended - intendedStartMs, tags);
  engine.series.recordIteration(ended);
}
