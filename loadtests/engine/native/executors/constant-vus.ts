/** constant-vus: `vus` VUs iterate back to back for `duration`. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runLoopingVus } from './helpers.js';

export function runConstantVus(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  return runLoopingVus(engine, pool, plan, start, counter, start + plan.durationMs, () => () => true);
}
