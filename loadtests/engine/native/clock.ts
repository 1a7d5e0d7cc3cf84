/** Monotonic time in milliseconds (fractional). */
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();
