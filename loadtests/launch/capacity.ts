/**
 * Capacity search: the highest arrival rate that meets the SLO. Short constant-rate steps grow geometrically until
 * one fails (the bracket), then bisection narrows it. Each step is a full launch run (sampling, clean-up, invariants)
 * of a scenario that honours CAPACITY_RATE / CAPACITY_DURATION (see loadtests/scenarios/lib/profile.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PreflightError } from '../../src/core/errors.js';
import { median, nameKneeBottleneck, POOL_PRESSURE_PERCENT, type StepEvidence } from './bottleneck.js';
import { type LaunchRunOptions, runLaunchScenario } from './run.js';
import { meetsClause, observeClause, parseSlo, type SloClause, toBottleneckSlo } from './slo.js';

export interface CapacityOptions extends Omit<LaunchRunOptions, 'vus' | 'duration' | 'iterations' | 'slo'> {
  /** e.g. "p(95)<300,rate<0.01". */
  slo: string;
  minRps?: number;
  startRps?: number;
  maxRps?: number;
  /** Length of each constant-rate step (default 10s). */
  stepDuration?: string;
  /** Factor between ramp steps (default 2). */
  growth?: number;
  /** Stop bisecting when the bracket is narrower than this share of its lower end (default 0.1). */
  resolution?: number;
  /** Upper bound on the number of steps (default 12). */
  maxSteps?: number;
  /** Pause between steps so queues drain (default 1000 ms). */
  settleMs?: number;
  onStep?: (step: CapacityStep) => void;
}

export interface CapacityStep extends StepEvidence {
  phase: 'ramp' | 'bisect';
  targetRps: number;
  achievedRps: number;
  requests: number;
  droppedIterations: number;
  observed: Array<{ clause: string; value: number | undefined; ok: boolean }>;
  ok: boolean;
  reasons: string[];
  /** The step's bottleneck headline (resource samples aligned with latency). */
  bottleneck: string;
  poolPeakPercent: number | undefined;
}

export interface CapacityResult {
  scenario: string;
  slo: string;
  /** Highest rate that met the SLO (0 when even the first step failed). */
  capacityRps: number;
  /** Lowest rate that failed; undefined when every step up to maxRps passed. */
  firstFailingRps: number | undefined;
  kneeFound: boolean;
  minRps: number | undefined;
  belowFloor: boolean;
  steps: CapacityStep[];
  /** The bottleneck at the knee, named from the evidence of the steps that missed the SLO (nameKneeBottleneck). */
  bottleneck: string | undefined;
  exitCode: number;
}

const toSeconds = (duration: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
  if (!m) throw new PreflightError('E_USAGE', `Expected a step duration like 10s, got \`${duration}\``);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 's' ? 1 : 60);
};

function validatePositive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new PreflightError('E_USAGE', `Expected \`${name}\` to be a positive number, got \`${value}\``);
  return value;
}

async function runStep(
  options: CapacityOptions,
  clauses: SloClause[],
  phase: CapacityStep['phase'],
  rate: number,
  stepSeconds: number,
): Promise<CapacityStep> {
  const result = await runLaunchScenario({
    ...options,
    env: { ...options.env, CAPACITY_RATE: String(rate), CAPACITY_DURATION: options.stepDuration ?? '10s' },
    slo: toBottleneckSlo(clauses, { p95Ms: 300, errorRate: 0.01 }),
    resultsDir: false,
  });
  if (
    !result.run.plans.some((p) => p.executor === 'constant-arrival-rate') &&
    result.run.engine === 'native'
  ) {
    throw new PreflightError('E_USAGE', `Scenario "${options.scenario}" does not honour CAPACITY_RATE`, {
      hint: 'capacity needs an arrival-rate scenario built with buildArrivalScenario(), e.g. search-mix or pool-saturation',
    });
  }
  const summary = result.run.summary;
  const requests = summary.metrics.http_reqs?.values.count ?? 0;
  const dropped = summary.metrics.dropped_iterations?.values.count ?? 0;
  const iterations = summary.metrics.iterations?.values.count ?? 0;
  const observed = clauses.map((c) => {
    const value = observeClause(summary, c);
    return { clause: c.source, value, ok: meetsClause(value, c) };
  });
  const reasons = observed
    .filter((o) => !o.ok)
    .map((o) => `${o.clause} observed ${o.value === undefined ? 'nothing' : round(o.value)}`);
  const pool = result.bottleneck.samples
    .map((s) => s.poolUsagePercent)
    .filter((v): v is number => v !== undefined);
  const connectionShares = result.bottleneck.samples
    .filter((s) => s.maxConnections && s.dbConnections !== undefined)
    .map((s) => (s.dbConnections as number) / (s.maxConnections as number));
  const expected = rate * stepSeconds;
  if (dropped > expected * 0.05)
    reasons.push(`${dropped} of ${Math.round(expected)} iterations dropped (${describeDropped(pool)})`);
  else if (iterations + dropped < expected * 0.9)
    reasons.push(`only ${iterations} of ${Math.round(expected)} iterations started`);
  return {
    phase,
    targetRps: rate,
    achievedRps: round(requests / stepSeconds),
    requests,
    droppedIterations: dropped,
    observed,
    ok: reasons.length === 0,
    reasons,
    bottleneck: result.bottleneck.headline,
    poolPeakPercent: pool.length ? Math.max(...pool) : undefined,
    resources: { poolPercents: pool, connectionShares },
  };
}

/** Why iterations were dropped, from the pool's evidence: VUs held by a busy target, or too few VUs. */
function describeDropped(pool: number[]): string {
  const middle = median(pool);
  if (middle === undefined)
    return 'no VU was free: too few VUs, or a slow target held them (no pool samples)';
  if (middle >= POOL_PRESSURE_PERCENT)
    return `every VU was waiting on the target: DB pool ${Math.round(middle)}% (median)`;
  return `not enough VUs while the DB pool had room (${Math.round(middle)}% median): raise MAX_VUS`;
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function searchCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const clauses = parseSlo(options.slo);
  const startRps = validatePositive('startRps', options.startRps, 10);
  const maxRps = validatePositive('maxRps', options.maxRps, 1000);
  const growth = validatePositive('growth', options.growth, 2);
  const resolution = validatePositive('resolution', options.resolution, 0.1);
  const maxSteps = validatePositive('maxSteps', options.maxSteps, 12);
  if (growth <= 1) throw new PreflightError('E_USAGE', `Expected \`growth\` above 1, got \`${growth}\``);
  if (startRps > maxRps)
    throw new PreflightError('E_USAGE', `--start-rps (${startRps}) is above --max-rps (${maxRps})`);
  const stepSeconds = toSeconds(options.stepDuration ?? '10s');
  const steps: CapacityStep[] = [];
  const step = async (phase: CapacityStep['phase'], rate: number) => {
    if (steps.length > 0 && options.settleMs !== 0) await sleep(options.settleMs ?? 1000);
    const s = await runStep(options, clauses, phase, rate, stepSeconds);
    steps.push(s);
    options.onStep?.(s);
    return s;
  };

  let lo = 0;
  let hi: number | undefined;
  for (let rate = startRps; steps.length < maxSteps; rate = Math.min(maxRps, Math.round(rate * growth))) {
    if (options.signal?.aborted) break;
    const s = await step('ramp', rate);
    if (!s.ok) {
      hi = rate;
      break;
    }
    lo = rate;
    if (rate >= maxRps) break;
  }
  while (hi !== undefined && steps.length < maxSteps && hi - lo > Math.max(1, resolution * lo)) {
    if (options.signal?.aborted) break;
    const mid = Math.round((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    const s = await step('bisect', mid);
    if (s.ok) lo = mid;
    else hi = mid;
  }
  const minRps = options.minRps;
  const belowFloor = minRps !== undefined && lo < minRps;
  const firstFailing = hi;
  return {
    scenario: options.scenario,
    slo: options.slo,
    capacityRps: lo,
    firstFailingRps: firstFailing,
    kneeFound: firstFailing !== undefined,
    minRps,
    belowFloor,
    steps,
    bottleneck: nameKneeBottleneck(steps),
    exitCode: belowFloor ? 1 : 0,
  };
}
