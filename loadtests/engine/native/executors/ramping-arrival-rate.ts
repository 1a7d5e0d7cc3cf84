/** ramping-arrival-rate: the arrival rate follows the stages from startRate, each arrival on a free VU or dropped. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runArrivals } from './helpers.js';

/**
 * Start time (ms after scenario start) of the n-th arrival (n >= 0), or undefined when the stages end first.
 * The rate is piecewise linear in iterations per timeUnit: the n-th arrival is where the area under it reaches n.
 */
export function getRampingArrivalTime(plan: ScenarioPlan, n: number): number | undefined {
  let offset = 0;
  let from = plan.startRate;
  let done = 0;
  for (const stage of plan.stages) {
    const d = stage.durationMs;
    const a = from / plan.timeUnitMs;
    const b = stage.target / plan.timeUnitMs;
    const area = ((a + b) / 2) * d;
    if (n < done + area || (d > 0 && n === done && a > 0)) {
      const need = n - done;
      const slope = (b - a) / d;
      let tau: number;
      if (Math.abs(slope) < 1e-12) tau = a > 0 ? need / a : 0;
      else tau = (-a + Math.sqrt(Math.max(0, a * a + 2 * slope * need))) / slope;
      return offset + Math.min(d, Math.max(0, tau));
    }
    done += area;
    offset += d;
    from = stage.target;
  }
  return undefined;
}

export function runRampingArrivalRate(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  const durationMs = plan.stages.reduce((s, st) => s + st.durationMs, 0);
  return runArrivals(engine, pool, plan, start, counter, durationMs, (n) => getRampingArrivalTime(plan, n));
}
