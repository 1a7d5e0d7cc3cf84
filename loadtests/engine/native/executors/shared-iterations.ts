/** shared-iterations: `iterations` in total, shared by `vus` looping VUs, within maxDuration. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runLoopingVus } from './helpers.js';

export function runSharedIterations(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  let taken = 0;
  const takeShared = () => {
    if (taken >= plan.iterations) return false;
    taken++;
    return true;
  };
  return runLoopingVus(engine, pool, plan, start, counter, start + plan.maxDurationMs, () => takeShared);
}
