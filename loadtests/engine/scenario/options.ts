/** k6 options -> a normalized list of scenarios (k6's shortcut rules: iterations, duration, stages, scenarios). */
import { usageError } from '../../../src/core/errors.js';
import { parseDuration } from './duration.js';

export type ExecutorName =
  | 'shared-iterations'
  | 'per-vu-iterations'
  | 'constant-vus'
  | 'ramping-vus'
  | 'constant-arrival-rate'
  | 'ramping-arrival-rate';

export const executorNames: ExecutorName[] = [
  'shared-iterations',
  'per-vu-iterations',
  'constant-vus',
  'ramping-vus',
  'constant-arrival-rate',
  'ramping-arrival-rate',
];

export interface Stage {
  durationMs: number;
  target: number;
}

/** One scenario with every duration in ms and every default filled in. */
export interface ScenarioPlan {
  name: string;
  executor: ExecutorName;
  exec: string;
  startTimeMs: number;
  gracefulStopMs: number;
  env: Record<string, string>;
  tags: Record<string, string>;
  vus: number;
  iterations: number;
  maxDurationMs: number;
  durationMs: number;
  startVUs: number;
  stages: Stage[];
  gracefulRampDownMs: number;
  rate: number;
  startRate: number;
  timeUnitMs: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

export interface ThresholdSpec {
  threshold: string;
  abortOnFail?: boolean;
  delayAbortEval?: string;
}

export type ThresholdsOption = Record<string, Array<string | ThresholdSpec> | string>;

/** The parts of k6's `options` export the engines read. */
export interface K6Options {
  vus?: number;
  duration?: string;
  iterations?: number;
  stages?: Array<{ duration: string; target: number }>;
  scenarios?: Record<string, Record<string, unknown>>;
  thresholds?: ThresholdsOption;
  setupTimeout?: string;
  teardownTimeout?: string;
  summaryTrendStats?: string[];
  tags?: Record<string, string>;
  [key: string]: unknown;
}

/** Command-line overrides with k6's flag names. */
export interface OptionOverrides {
  vus?: number;
  duration?: string;
  iterations?: number;
}

const num = (raw: Record<string, unknown>, key: string, scenario: string, fallback?: number): number => {
  const value = raw[key];
  if (value === undefined) {
    if (fallback === undefined) throw usageError(`Scenario "${scenario}" needs \`${key}\``);
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw usageError(
      `Expected \`scenarios.${scenario}.${key}\` to be a non-negative number, got \`${String(value)}\``,
    );
  }
  return value;
};

const dur = (raw: Record<string, unknown>, key: string, scenario: string, fallback?: string): number => {
  const value = raw[key] ?? fallback;
  if (value === undefined) throw usageError(`Scenario "${scenario}" needs \`${key}\``);
  return parseDuration(value as string, `scenarios.${scenario}.${key}`);
};

function parseStages(value: unknown, scenario: string): Stage[] {
  if (!Array.isArray(value) || value.length === 0)
    throw usageError(`Scenario "${scenario}" needs a non-empty \`stages\` list`);
  return value.map((s: { duration?: string; target?: number }, i) => ({
    durationMs: parseDuration(s.duration, `scenarios.${scenario}.stages[${i}].duration`),
    target: num(s as Record<string, unknown>, 'target', `${scenario}.stages[${i}]`),
  }));
}

/** Normalizes one entry of `options.scenarios`. */
export function planScenario(name: string, raw: Record<string, unknown>): ScenarioPlan {
  const executor = raw.executor as ExecutorName;
  if (!executorNames.includes(executor)) {
    throw usageError(
      `Scenario "${name}" has unknown executor \`${String(raw.executor)}\``,
      `use one of: ${executorNames.join(', ')}`,
    );
  }
  const base: ScenarioPlan = {
    name,
    executor,
    exec: typeof raw.exec === 'string' ? raw.exec : 'default',
    startTimeMs: dur(raw, 'startTime', name, '0s'),
    gracefulStopMs: dur(raw, 'gracefulStop', name, '30s'),
    env: (raw.env as Record<string, string>) ?? {},
    tags: (raw.tags as Record<string, string>) ?? {},
    vus: 1,
    iterations: 1,
    maxDurationMs: 600_000,
    durationMs: 0,
    startVUs: 1,
    stages: [],
    gracefulRampDownMs: 30_000,
    rate: 0,
    startRate: 0,
    timeUnitMs: 1000,
    preAllocatedVUs: 0,
    maxVUs: 0,
  };
  switch (executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
      return {
        ...base,
        vus: num(raw, 'vus', name, 1),
        iterations: num(raw, 'iterations', name, 1),
        maxDurationMs: dur(raw, 'maxDuration', name, '10m'),
      };
    case 'constant-vus':
      return { ...base, vus: num(raw, 'vus', name, 1), durationMs: dur(raw, 'duration', name) };
    case 'ramping-vus':
      return {
        ...base,
        startVUs: num(raw, 'startVUs', name, 1),
        stages: parseStages(raw.stages, name),
        gracefulRampDownMs: dur(raw, 'gracefulRampDown', name, '30s'),
      };
    case 'constant-arrival-rate': {
      const preAllocatedVUs = num(raw, 'preAllocatedVUs', name);
      return {
        ...base,
        rate: num(raw, 'rate', name),
        timeUnitMs: dur(raw, 'timeUnit', name, '1s'),
        durationMs: dur(raw, 'duration', name),
        preAllocatedVUs,
        maxVUs: Math.max(preAllocatedVUs, num(raw, 'maxVUs', name, preAllocatedVUs)),
      };
    }
    case 'ramping-arrival-rate': {
      const preAllocatedVUs = num(raw, 'preAllocatedVUs', name);
      return {
        ...base,
        startRate: num(raw, 'startRate', name, 0),
        timeUnitMs: dur(raw, 'timeUnit', name, '1s'),
        stages: parseStages(raw.stages, name),
        preAllocatedVUs,
        maxVUs: Math.max(preAllocatedVUs, num(raw, 'maxVUs', name, preAllocatedVUs)),
      };
    }
  }
}

/** Applies k6's precedence: CLI flags replace the script's execution options; shortcuts become a `default` scenario. */
export function planScenarios(options: K6Options, overrides: OptionOverrides = {}): ScenarioPlan[] {
  const cliShortcut =
    overrides.vus !== undefined || overrides.duration !== undefined || overrides.iterations !== undefined;
  if (options.scenarios && Object.keys(options.scenarios).length > 0 && !cliShortcut) {
    return Object.entries(options.scenarios).map(([name, raw]) => planScenario(name, raw));
  }
  const vus = overrides.vus ?? options.vus;
  const iterations = overrides.iterations ?? (overrides.duration ? undefined : options.iterations);
  const duration = overrides.duration ?? (overrides.iterations ? undefined : options.duration);
  if (iterations !== undefined) {
    const raw: Record<string, unknown> = { executor: 'shared-iterations', vus: vus ?? 1, iterations };
    if (duration) raw.maxDuration = duration;
    return [planScenario('default', raw)];
  }
  if (duration !== undefined)
    return [planScenario('default', { executor: 'constant-vus', vus: vus ?? 1, duration })];
  if (options.stages && !cliShortcut) {
    return [planScenario('default', { executor: 'ramping-vus', startVUs: vus ?? 1, stages: options.stages })];
  }
  return [planScenario('default', { executor: 'per-vu-iterations', vus: vus ?? 1, iterations: 1 })];
}

/** The longest a scenario may run (start time + work + graceful stop), for timeouts and progress bars. */
export function getScenarioMaxMs(plan: ScenarioPlan): number {
  const stagesMs = plan.stages.reduce((sum, s) => sum + s.durationMs, 0);
  switch (plan.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
      return plan.startTimeMs + plan.maxDurationMs + plan.gracefulStopMs;
    case 'constant-vus':
    case 'constant-arrival-rate':
      return plan.startTimeMs + plan.durationMs + plan.gracefulStopMs;
    case 'ramping-vus':
      return plan.startTimeMs + stagesMs + Math.max(plan.gracefulStopMs, plan.gracefulRampDownMs);
    case 'ramping-arrival-rate':
      return plan.startTimeMs + stagesMs + plan.gracefulStopMs;
  }
}

/** Nominal duration (without graceful stop) when the scenario is time-bound, else undefined. */
export function getScenarioNominalMs(plan: ScenarioPlan): number | undefined {
  if (plan.executor === 'shared-iterations' || plan.executor === 'per-vu-iterations') return undefined;
  if (plan.executor === 'ramping-vus' || plan.executor === 'ramping-arrival-rate') {
    return plan.startTimeMs + plan.stages.reduce((sum, s) => sum + s.durationMs, 0);
  }
  return plan.startTimeMs + plan.durationMs;
}
