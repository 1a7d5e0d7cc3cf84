/** The VU pool of a native run: VUs created on demand, prepared for a scenario, handed out and taken back. */
import type vm from 'node:vm';
import type { ScenarioPlan } from '../scenario/options.js';
import type { EngineContext } from './context.js';
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
