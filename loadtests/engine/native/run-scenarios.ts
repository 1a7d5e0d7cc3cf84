/** Runs scenarios on VUs in this thread: each scenario on its executor, with the vus/vus_max gauges ticking. */
import type { ScenarioPlan } from '../scenario/options.js';
import type { EngineContext } from './context.js';
import { runExecutor } from './executors/run-executor.js';
import { getInitialVus, type VuPool } from './vu-pool.js';

/** Runs every scenario (each from its startTime) and resolves when all are done. */
export async function runScenarios(
  engine: EngineContext,
  pool: VuPool,
  plans: ScenarioPlan[],
): Promise<void> {
  pool.preallocate(plans.reduce((sum, p) => sum + getInitialVus(p), 0));
  const vuTicker = setInterval(() => {
    engine.registry.add(engine.metrics.vus, engine.vusActive, engine.globalTags);
    engine.registry.add(engine.metrics.vus_max, engine.vusMax, engine.globalTags);
    engine.series.vus = engine.vusActive;
  }, 1000);
  vuTicker.unref();
  try {
    await Promise.all(plans.map((plan) => runExecutor(engine, pool, plan)));
  } finally {
    clearInterval(vuTicker);
    engine.registry.add(engine.metrics.vus, engine.vusActive, engine.globalTags);
    engine.registry.add(engine.metrics.vus_max, engine.vusMax, engine.globalTags);
  }
}
