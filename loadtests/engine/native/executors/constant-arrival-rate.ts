/** constant-arrival-rate: `rate` iterations per timeUnit for `duration`, each started on a free VU or dropped. */
import type { ScenarioPlan } from '../../scenario/options.js';
import type { EngineContext } from '../context.js';
import type { IterationCounter } from '../iteration.js';
import type { VuPool } from '../vu-pool.js';
import { runArrivals } from './helpers.js';

/** Start time (ms after scenario start) of the n-th arrival (n >= 0), or undefined when the duration ends first. */
export function getConstantArrivalTime(plan: ScenarioPlan, n: number): number | undefined {
  if (plan.rate <= 0) return undefined;
  const t = (n * plan.timeUnitMs) / plan.rate;
  return t < plan.durationMs ? t : undefined;
}

export function runConstantArrivalRate(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  return runArrivals(engine, pool, plan, start, counter, plan.durationMs, (n) =>
    getConstantArrivalTime(plan, n),
  );
}
