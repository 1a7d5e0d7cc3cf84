/** Splits scenarios across worker threads (like k6 execution segments): VUs, iterations and rates by share. */
import type { ScenarioPlan } from '../scenario/options.js';

/** Worker `index` of `count`'s share of an integer total (shares sum to the total). */
export function getShare(total: number, index: number, count: number): number {
  return Math.floor((total * (index + 1)) / count) - Math.floor((total * index) / count);
}

/** The part of `plan` that worker `index` of `count` runs, or undefined when it gets nothing. */
export function segmentPlan(plan: ScenarioPlan, index: number, count: number): ScenarioPlan | undefined {
  const share = (n: number) => getShare(n, index, count);
  switch (plan.executor) {
    case 'shared-iterations': {
      const vus = share(plan.vus);
      const iterations = share(plan.iterations);
      return vus > 0 && iterations > 0 ? { ...plan, vus, iterations } : undefined;
    }
    case 'per-vu-iterations':
    case 'constant-vus': {
      const vus = share(plan.vus);
      return vus > 0 ? { ...plan, vus } : undefined;
    }
    case 'ramping-vus':
      return {
        ...plan,
        startVUs: share(plan.startVUs),
        stages: plan.stages.map((s) => ({ ...s, target: share(s.target) })),
      };
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate': {
      const maxVUs = Math.max(1, share(plan.maxVUs));
      return {
        ...plan,
        rate: plan.rate / count,
        startRate: plan.startRate / count,
        stages: plan.stages.map((s) => ({ ...s, target: s.target / count })),
        preAllocatedVUs: Math.min(maxVUs, Math.max(1, share(plan.preAllocatedVUs))),
        maxVUs,
        // Offset each worker's arrivals so together they interleave evenly.
        startTimeMs:
          plan.startTimeMs +
          (plan.executor === 'constant-arrival-rate' && plan.rate > 0
            ? (index * plan.timeUnitMs) / plan.rate
            : 0),
      };
    }
  }
}
