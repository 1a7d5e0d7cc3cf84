/** Delay before the next poll of a source: the interval while it is up; core's full-jitter backoff while it is down. */
import { getBackoffDelayMs } from '../../src/core/pg/retry.js';

export function getPollDelayMs(
  failures: number,
  intervalMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return intervalMs;
  // never busier than half the interval, so a dead source is not hammered
  return Math.max(
    intervalMs / 2,
    getBackoffDelayMs(failures, { baseDelayMs: intervalMs, maxDelayMs: maxMs }, random),
  );
}
