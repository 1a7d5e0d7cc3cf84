// Load shapes from __ENV, so one scenario serves a ramp, a constant-rate capacity step, a soak or a spike.
import { readNumber, readString } from './target.js';

export interface ArrivalDefaults {
  startRate: number;
  /** Peak arrival rate (iterations per second). */
  peakRate: number;
  ramp: string;
  hold: string;
  preAllocatedVUs: number;
  maxVUs: number;
}

/**
 * A ramping-arrival-rate scenario (START_RATE -> RATE over RAMP, then HOLD), or, when `load capacity` sets
 * CAPACITY_RATE, one constant-arrival-rate step of CAPACITY_DURATION.
 */
export function buildArrivalScenario(defaults: ArrivalDefaults, exec = 'default'): Record<string, unknown> {
  const maxVUs = readNumber('MAX_VUS', defaults.maxVUs);
  const preAllocatedVUs = Math.min(maxVUs, readNumber('PRE_ALLOCATED_VUS', defaults.preAllocatedVUs));
  const capacityRate = __ENV.CAPACITY_RATE;
  if (capacityRate) {
    return {
      executor: 'constant-arrival-rate',
      exec,
      rate: Math.max(1, Math.round(Number(capacityRate))),
      timeUnit: '1s',
      duration: readString('CAPACITY_DURATION', '10s'),
      // VUs made mid-step cost the generator time exactly when the rate is high: make a quarter of the rate up front
      preAllocatedVUs: Math.min(maxVUs, Math.max(preAllocatedVUs, Math.ceil(Number(capacityRate) / 4))),
      maxVUs,
      gracefulStop: '5s',
    };
  }
  const peak = readNumber('RATE', defaults.peakRate);
  const hold = readString('HOLD', defaults.hold);
  const stages: Array<{ duration: string; target: number }> = [
    { duration: readString('RAMP', defaults.ramp), target: peak },
  ];
  if (!/^0+(ms|s|m|h)?$/.test(hold)) stages.push({ duration: hold, target: peak });
  return {
    executor: 'ramping-arrival-rate',
    exec,
    startRate: readNumber('START_RATE', defaults.startRate),
    timeUnit: '1s',
    stages,
    preAllocatedVUs,
    maxVUs,
    gracefulStop: '5s',
  };
}

/** Think time between user actions: THINK_TIME seconds (default `seconds`), +-50% jitter. */
export function thinkTime(seconds: number): number {
  const base = readNumber('THINK_TIME', seconds);
  return base * (0.5 + Math.random());
}
