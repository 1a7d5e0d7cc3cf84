/** Delay before the next poll of a source: the interval while it is up; exponential with full jitter while down. */
export function getPollDelayMs(
  failures: number,
  intervalMs: number,
  maxMs: number,
  random = Math.random,
): number {
  if (failures <= 0) return intervalMs;
  const cap = Math.min(maxMs, intervalMs * 2 ** Math.min(failures, 20));
  return Math.max(intervalMs / 2, random() * cap);
}
