/** k6's six executors on the native engine, one file each; this picks the scenario's and waits for its startTime. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runConstantArrivalRate } from './constant-arrival-rate.js';
import { runConstantVus } from './constant-vus.js';
import { waitUntil } from './helpers.js';
import { runPerVuIterations } from './per-vu-iterations.js';
import { runRampingArrivalRate } from './ramping-arrival-rate.js';
import { runRampingVus } from './ramping-vus.js';
import { runSharedIterations } from './shared-iterations.js';

/** Runs the executor named by the plan; resolves when the scenario (including graceful stop) is over. */
export async function runExecutor(engine: EngineContext, pool: VuPool, plan: ScenarioPlan): Promise<void> {
  const start = engine.testStartMs + plan.startTimeMs;
  await waitUntil(engine, start);
  if (engine.aborted) return;
  const counter: IterationCounter = { next: 0 };
  switch (plan.executor) {
    case 'shared-iterations':
      return runSharedIterations(engine, pool, plan, start, counter);
    case 'per-vu-iterations':
      return runPerVuIterations(engine, pool, plan, start, counter);
    case 'constant-vus':
      return runConstantVus(engine, pool, plan, start, counter);
    case 'ramping-vus':
      return runRampingVus(engine, pool, plan, start, counter);
    case 'constant-arrival-rate':
      return runConstantArrivalRate(engine, pool, plan, start, counter);
    case 'ramping-arrival-rate':
      return runRampingArrivalRate(engine, pool, plan, start, counter);
  }
}
