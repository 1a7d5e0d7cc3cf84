/** What every polled source of the exporter is: one poll that fills its series, and a reset when it is down. */
import type { PoolSourceName } from './metrics.js';

export interface PoolSource {
  name: PoolSourceName;
  /** Where it reads from, for logs (no credentials). */
  describe: string;
  /** Reads the source once and sets its series; throws when it cannot be read. */
  poll(signal: AbortSignal): Promise<void>;
  /** The source is down: drop its series (stale figures mislead) and its connection, so the next poll reconnects. */
  reset(): Promise<void>;
}
