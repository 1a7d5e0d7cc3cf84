/**
 * ramping-vus: the number of looping VUs follows the stages (linear between targets, re-evaluated every 50 ms);
 * a VU ramped down finishes its iteration within gracefulRampDown.
 */
import type { ScenarioPlan, Stage } from '../../scenario/options.js';
import { now } from '../clock.js';
import type { EngineContext } from '../context.js';
import { type IterationCounter, runIteration } from '../iteration.js';
import type { Vu } from '../vu.js';
import { assignVu, type VuPool } from '../vu-pool.js';
import { drain, interruptVu, raceDeadline, waitUntil } from './helpers.js';

interface Loop {
  vu: Vu;
  stopAt: number;
  done: Promise<void>;
}

/** The VU target of ramping-vus at `elapsed` ms (linear between stage targets). */
export function getRampingTarget(startValue: number, stages: Stage[], elapsed: number): number {
  let from = startValue;
  let t = elapsed;
  for (const stage of stages) {
    if (t < stage.durationMs) return from + ((stage.target - from) * t) / stage.durationMs;
    t -= stage.durationMs;
    from = stage.target;
  }
  return from;
}

export async function runRampingVus(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
): Promise<void> {
  const total = plan.stages.reduce((s, st) => s + st.durationMs, 0);
  const end = start + total;
  const loops: Loop[] = [];
  const all = new Set<Promise<void>>();
  const startLoop = () => {
    const vu = pool.acquire()!;
    assignVu(engine, vu, plan, start);
    const entry: Loop = { vu, stopAt: Number.POSITIVE_INFINITY, done: Promise.resolve() };
    entry.done = (async () => {
      while (!engine.aborted && now() < Math.min(end, entry.stopAt)) {
        await runIteration(engine, vu, plan, counter);
        if (vu.state.hardStopped) break;
      }
    })();
    all.add(entry.done);
    entry.done.finally(() => {
      all.delete(entry.done);
      pool.release(vu);
    });
    loops.push(entry);
  };
  const stopLoop = () => {
    const entry = loops.pop();
    if (!entry) return;
    entry.stopAt = now();
    const timer = setTimeout(() => interruptVu(entry.vu), plan.gracefulRampDownMs);
    timer.unref();
    entry.done.finally(() => clearTimeout(timer));
  };
  while (!engine.aborted) {
    const t = now();
    if (t >= end) break;
    const target = Math.round(getRampingTarget(plan.startVUs, plan.stages, t - start));
    while (loops.length < target) startLoop();
    while (loops.length > target) stopLoop();
    await waitUntil(engine, Math.min(end, t + 50));
  }
  for (const entry of loops) entry.stopAt = end;
  await drain(
    engine,
    all,
    loops.map((l) => l.vu),
    end + plan.gracefulStopMs,
  );
  await raceDeadline(engine, Promise.all(all), now() + plan.gracefulRampDownMs + 100);
}
