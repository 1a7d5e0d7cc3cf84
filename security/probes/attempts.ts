/** Repeated attempts for the rate-limit checks: small parallel batches, stopping after the batch that was throttled. */
import type { ProbeResponse } from '../http.js';

export interface AttemptsOutcome {
  /** The first throttled response and its 1-based attempt number, if any. */
  throttled: { response: ProbeResponse; attempt: number } | undefined;
  last: ProbeResponse | undefined;
  sent: number;
}

export async function sendAttempts(
  budget: number,
  send: (attempt: number) => Promise<ProbeResponse>,
  isThrottled: (response: ProbeResponse) => boolean,
  batchSize = 3,
): Promise<AttemptsOutcome> {
  let last: ProbeResponse | undefined;
  let sent = 0;
  while (sent < budget) {
    const size = Math.min(batchSize, budget - sent);
    const batch = await Promise.all(Array.from({ length: size }, (_, i) => send(sent + i + 1)));
    sent += size;
    last = batch.at(-1);
    const index = batch.findIndex(isThrottled);
    if (index >= 0)
      return { throttled: { response: batch[index]!, attempt: sent - size + index + 1 }, last, sent };
  }
  return { throttled: undefined, last, sent };
}
