/** What the executors share: deadline waits, draining with gracefulStop, the looping-VU loop, arrival dispatch. */
import type { ScenarioPlan } from '../../scenario/options.js';
import { now } from '../clock.js';
import type { EngineContext } from '../context.js';
import { type IterationCounter, runIteration } from '../iteration.js';
import type { Vu } from '../vu.js';
import { assignVu, type VuPool } from '../vu-pool.js';

/** Resolves at `deadline` (performance.now ms) or when the test is aborted. */
export function waitUntil(engine: EngineContext, deadline: number): Promise<void> {
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
export async function raceDeadline(
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
export function interruptVu(vu: Vu): void {
  vu.state.hardStopped = true;
  vu.state.abortController.abort();
  vu.state.currentAbort?.(Object.assign(new Error('request aborted'), { name: 'AbortError' }));
}

/**
 * How long the requests in flight at an abort (Ctrl-C, test.abort(), abortOnFail) may still take: a request the
 * server has acted on (a booking) then gets its answer, and the script can record it; no new request starts.
 */
export const ABORT_GRACE_MS = 5000;

/** Waits for `promise` at most `ms`, whether or not the test was aborted. */
async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for running iterations until `deadline` (after an abort: their requests in flight), then interrupts what still runs. */
export async function drain(
  engine: EngineContext,
  running: Set<Promise<void>>,
  vus: Iterable<Vu>,
  deadline: number,
): Promise<void> {
  if (running.size === 0) return;
  const all = Promise.all(running);
  await raceDeadline(engine, all, deadline);
  if (running.size === 0) return;
  if (engine.aborted) await raceTimeout(all, ABORT_GRACE_MS);
  if (running.size === 0) return;
  for (const vu of vus) interruptVu(vu);
  await raceDeadline(engine, all, now() + 2000);
}

/**
 * The fixed set of looping VUs behind shared-iterations, per-vu-iterations and constant-vus: `plan.vus` VUs
 * iterate until `end` while their budget allows (`createBudget` is called once per VU; its result is asked before
 * each iteration and takes one when it says yes).
 */
export async function runLoopingVus(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
  end: number,
  createBudget: () => () => boolean,
): Promise<void> {
  const running = new Set<Promise<void>>();
  const vus: Vu[] = [];
  for (let i = 0; i < plan.vus; i++) {
    const vu = pool.acquire()!;
    assignVu(engine, vu, plan, start);
    vus.push(vu);
    const takeIteration = createBudget();
    const loop = (async () => {
      while (!engine.aborted && now() < end) {
        if (!takeIteration()) break;
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

/**
 * The dispatcher behind constant- and ramping-arrival-rate: starts an iteration at each arrival time (ms after the
 * scenario start, undefined when the schedule ends) on a free VU, or counts it in dropped_iterations.
 */
export async function runArrivals(
  engine: EngineContext,
  pool: VuPool,
  plan: ScenarioPlan,
  start: number,
  counter: IterationCounter,
  durationMs: number,
  getArrivalTime: (n: number) => number | undefined,
): Promise<void> {
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
    const offset = getArrivalTime(n);
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
