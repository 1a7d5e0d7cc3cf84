/** per-vu-iterations: each of `vus` looping VUs runs `iterations` of its own, within maxDuration. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runLoopingVus } from './helpers.js';

export function runPerVuIterations(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  return runLoopingVus(engine, pool, plan, start, counter, start + plan.maxDurationMs, () => {
    let own = 0;
    return () => {
      if (own >= plan.iterations) return false;
      own++;
      return true;
    };
  });
}
