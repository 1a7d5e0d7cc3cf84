/** k6's six executors on the native engine, with startTime, gracefulStop, gracefulRampDown and dropped iterations. */

import type { ScenarioPlan, Stage } from '../../scenario/options.js';
import { now } from '../clock.js';
import type { EngineContext } from '../context.js';
import { assignVu, type IterationCounter, runIteration, type VuPool } from '../run-scenarios.js';
import type { Vu } from '../vu.js';

/** Resolves at `deadline` (performance.now ms) or when the test is aborted. */
function waitUntil(engine: EngineContext, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const delay = deadline - now();
    if (delay <= 0 || engine.aborted) return resolve();
    const timer = setTimeout(done, delay);
    const unsubscribe = engine.onAbort(done);
    function done() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}

/** Waits for `promise` until `deadline` (or an abort); the timer never outlives the wait. */
async function raceDeadline(
  engine: EngineContext,
  promise: Promise<unknown>,
  deadline: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const timeout = new Promise<void>((resolve) => {
    if (deadline <= now() || engine.aborted) return resolve();
    timer = setTimeout(resolve, deadline - now());
    unsubscribe = engine.onAbort(resolve);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
    unsubscribe?.();
  }
}

/** Ends a VU's iteration now: its sleep and request in flight are aborted, further calls throw. */
function interruptVu(vu: Vu): void {
  vu.state.hardStopped = true;
  vu.state.abortController.abort();
  vu.state.currentAbort?.(Object.assign(new Error('request aborted'), { name: 'AbortError' }));
}

/** Waits for running iterations until `deadline`, then interrupts what still runs. */
async function drain(
  engine: EngineContext,
  running: Set<Promise<void>>,
  vus: Iterable<Vu>,
  deadline: number,
): Promise<void> {
  if (running.size === 0) return;
  const all = Promise.all(running);
  await raceDeadline(engine, all, deadline);
  if (running.size === 0) return;
  for (const vu of vus) interruptVu(vu);
  await raceDeadline(engine, all, now() + 2000);
}

interface Loop {
  vu: Vu;
  stopAt: number;
  done: Promise<void>;
}

/** Runs the executor named by the plan; resolves when the scenario (including graceful stop) is over. */
export async function runExecutor(engine: EngineContext, pool: VuPool, plan: ScenarioPlan): Promise<void> {
  const start = engine.testStartMs + plan.startTimeMs;
  await waitUntil(engine, start);
  if (engine.aborted) return;
  const counter: IterationCounter = { next: 0 };
  switch (plan.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
    case 'constant-vus':
      return runLoops(engine, pool, plan, start, counter);
    case 'ramping-vus':
      return runRampingVus(engine, pool, plan, start, counter);
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return runArrivalRate(engine, pool, plan, start, counter);
  }
}

/** shared-iterations, per-vu-iterations and constant-vus: a fixed set of looping VUs. */
async function runLoops(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
) {
  const end = start + (plan.executor === 'constant-vus' ? plan.durationMs : plan.maxDurationMs);
  let shared = 0;
  const running = new Set<Promise<void>>();
  const vus: Vu[] = [];
  for (let i = 0; i < plan.vus; i++) {
    const vu = pool.acquire()!;
    assignVu(engine, vu, plan, start);
    vus.push(vu);
    let own = 0;
    const loop = (async () => {
      while (!engine.aborted && now() < end) {
        if (plan.executor === 'shared-iterations') {
          if (shared >= plan.iterations) break;
          shared++;
        } else if (plan.executor === 'per-vu-iterations') {
          if (own >= plan.iterations) break;
          own++;
        }
        await runIteration(engine, vu, plan, counter);
        if (vu.state.hardStopped) break;
      }
    })();
    running.add(loop);
    loop.finally(() => running.delete(loop));
  }
  await raceDeadline(engine, Promise.all(running), end);
  await drain(engine, running, vus, end + plan.gracefulStopMs);
  for (const vu of vus) pool.release(vu);
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

async function runRampingVus(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
) {
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

/**
 * Start time (ms after scenario start) of the n-th arrival (n >= 0), or undefined when the schedule ends first.
 * The rate is piecewise linear in iterations per timeUnit.
 */
export function getArrivalTime(plan: ScenarioPlan, n: number): number | undefined {
  if (plan.executor === 'constant-arrival-rate') {
    if (plan.rate <= 0) return undefined;
    const t = (n * plan.timeUnitMs) / plan.rate;
    return t < plan.durationMs ? t : undefined;
  }
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

async function runArrivalRate(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
) {
  const durationMs =
    plan.executor === 'constant-arrival-rate'
      ? plan.durationMs
      : plan.stages.reduce((s, st) => s + st.durationMs, 0);
  const end = start + durationMs;
  const running = new Set<Promise<void>>();
  const busy = new Set<Vu>();
  let pendingDrops: number[] = [];
  const m = engine.metrics;
  // Coordinated omission: an arrival dropped at t_d for want of a VU would have started no earlier than the
  // moment a VU became free; that wait is recorded in the corrected latency (as wrk2 does).
  const backfill = (freeAt: number) => {
    if (pendingDrops.length === 0) return;
    const drops = pendingDrops;
    pendingDrops = [];
    const tags = { ...engine.globalTags, ...plan.tags, scenario: plan.name, group: '' };
    for (const t of drops) {
      engine.registry.add(m.http_req_duration_corrected, freeAt - t, tags);
      engine.registry.add(m.iteration_duration_corrected, freeAt - t, tags);
    }
  };
  const dispatch = (intended: number) => {
    const vu = busy.size < plan.maxVUs ? (pool.acquire(false) ?? pool.acquire(true)) : undefined;
    if (!vu) {
      const tags = { ...engine.globalTags, ...plan.tags, scenario: plan.name };
      engine.registry.add(m.dropped_iterations, 1, tags);
      engine.series.recordDropped();
      if (pendingDrops.length < 1_000_000) pendingDrops.push(intended);
      return;
    }
    busy.add(vu);
    assignVu(engine, vu, plan, start);
    const iteration = runIteration(engine, vu, plan, counter, intended).finally(() => {
      running.delete(iteration);
      busy.delete(vu);
      backfill(now());
      pool.release(vu);
    });
    running.add(iteration);
  };
  for (let n = 0; !engine.aborted; n++) {
    const offset = getArrivalTime(plan, n);
    if (offset === undefined) break;
    const intended = start + offset;
    if (intended >= end) break;
    if (intended > now()) await waitUntil(engine, intended);
    else if (n % 512 === 511) await new Promise((r) => setImmediate(r));
    if (engine.aborted) break;
    dispatch(intended);
  }
  await waitUntil(engine, end);
  await drain(engine, running, [...busy], end + plan.gracefulStopMs);
  backfill(now());
}
