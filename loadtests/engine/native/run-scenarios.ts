/** Runs scenarios on VUs in this thread: the VU pool, iterations with k6's metrics, the six executors. */
import type vm from 'node:vm';
import { isPreflightError } from '../../../src/core/errors.js';
import type { ScenarioPlan } from '../scenario/options.js';
import { now } from './clock.js';
import type { EngineContext } from './context.js';
import { runExecutor } from './executors/run-executor.js';
import { AbortedError } from './modules/k6-http.js';
import { createVu, type Vu } from './vu.js';

/** Hands out VUs; creates them on demand (k6 initializes arrival-rate VUs beyond preAllocatedVUs mid-test too). */
export class VuPool {
  private readonly idle: Vu[] = [];
  private created = 0;

  constructor(
    private readonly engine: EngineContext,
    private readonly script: vm.Script,
    private readonly data: string | undefined,
    /** Maps the n-th VU of this instance to its test-wide id (workers interleave ids). */
    private readonly toTestId: (n: number) => number,
  ) {}

  /** Creates VUs until `count` exist (before the test starts). */
  preallocate(count: number): void {
    while (this.created < count) this.idle.push(this.create());
  }

  private create(): Vu {
    this.created++;
    const vu = createVu(this.engine, this.script, this.toTestId(this.created), this.created);
    vu.data = this.data === undefined ? undefined : JSON.parse(this.data);
    this.engine.vusMax = this.created;
    return vu;
  }

  acquire(canCreate = true): Vu | undefined {
    const vu = this.idle.pop() ?? (canCreate ? this.create() : undefined);
    if (vu) this.engine.vusActive++;
    return vu;
  }

  release(vu: Vu): void {
    this.engine.vusActive--;
    vu.state.hardStopped = false;
    if (vu.state.abortController.signal.aborted) vu.state.abortController = new AbortController();
    this.idle.push(vu);
  }
}

/** Prepares a VU for a scenario (k6 resets __ITER per scenario and tags samples with the scenario). */
export function assignVu(engine: EngineContext, vu: Vu, plan: ScenarioPlan, scenarioStartMs: number): void {
  if (vu.state.scenarioName !== plan.name) {
    vu.state.scenarioName = plan.name;
    vu.state.iterationInScenario = 0;
  }
  vu.state.scenarioStartMs = scenarioStartMs;
  vu.state.groupPath = '';
  vu.state.tags = {
    ...engine.globalTags,
    ...plan.tags,
    ...vu.state.userTags,
    scenario: plan.name,
    group: '',
  };
}

export interface IterationCounter {
  /** Iterations started in this scenario on this instance (exec.scenario.iterationInTest). */
  next: number;
}

/** Runs one iteration; errors are reported and counted as k6 does, aborts end it quietly. */
export async function runIteration(
  engine: EngineContext,
  vu: Vu,
  plan: ScenarioPlan,
  counter: IterationCounter,
  intendedStartMs?: number,
): Promise<void> {
  const fn = vu.exports[plan.exec];
  const state = vu.state;
  state.scenarioIterationInTest = counter.next++;
  state.intendedStartMs = intendedStartMs;
  const started = now();
  state.startDelayMs = intendedStartMs === undefined ? 0 : Math.max(0, started - intendedStartMs);
  let interrupted = false;
  try {
    if (typeof fn !== 'function')
      throw new Error(`scenario "${plan.name}" executes "${plan.exec}", which the script does not export`);
    await fn(vu.data);
  } catch (error) {
    if (error instanceof AbortedError || engine.aborted || state.hardStopped) interrupted = true;
    else if (
      isPreflightError(error) &&
      (error.code === 'E_UNSUPPORTED_API' || error.code === 'E_TARGET_NOT_ALLOWED')
    ) {
      interrupted = true;
      engine.abort({ reason: error.message, kind: 'fatal', error });
    } else engine.reportIterationError(error, state.id);
  } finally {
    state.iterationInScenario++;
    state.iterationInInstance++;
    state.groupPath = '';
    state.intendedStartMs = undefined;
  }
  if (interrupted || state.hardStopped) return;
  const ended = now();
  const tags = state.tags;
  engine.registry.add(engine.metrics.iterations, 1, tags);
  engine.registry.add(engine.metrics.iteration_duration, ended - started, tags);
  if (intendedStartMs !== undefined)
    engine.registry.add(engine.metrics.iteration_duration_corrected, ended - intendedStartMs, tags);
  engine.series.recordIteration();
}

/** How many VUs a scenario needs before it starts. */
export function getInitialVus(plan: ScenarioPlan): number {
  switch (plan.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
    case 'constant-vus':
      return plan.vus;
    case 'ramping-vus':
      return Math.max(plan.startVUs, ...plan.stages.map((s) => s.target));
    default:
      return plan.preAllocatedVUs;
  }
}

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
