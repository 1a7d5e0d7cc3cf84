// Every booking a run creates is recorded by id: preflight collects the ids through its local journal
// (__ENV.PREFLIGHT_JOURNAL_URL), cancels each after the run and proves it; a plain k6 run cancels in the VU.
import http from 'k6/http';
import { platform, routePath } from './platform.js';
import { apiBase, buildHeaders, readJson } from './target.js';

/** Set by preflight when it checks invariants first and cleans up itself. */
export const cleanupDeferred: boolean = __ENV.PREFLIGHT_DEFER_CLEANUP === '1';

/** The id of a created booking from its answer (201), or undefined. */
export function readBookingId(response: { status: number; json(): unknown }): string | undefined {
  if (response.status !== platform.booking.createdStatus) return undefined;
  let body: unknown;
  try {
    body = response.json();
  } catch {
    return undefined;
  }
  const id = (body as Record<string, unknown> | null)?.[platform.booking.idField];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** Tells preflight's journal about a booking this VU made (no-op in a plain k6 run). */
export async function recordBooking(id: string, studentEmail: string): Promise<void> {
  const url = __ENV.PREFLIGHT_JOURNAL_URL;
  if (!url) return;
  const response = await http.asyncRequest('POST', url, JSON.stringify({ id, student: studentEmail }), {
    headers: { 'Content-Type': 'application/json' },
    tags: { name: 'preflight-journal' },
  });
  if (response.status !== 204)
    console.error(`preflight journal refused booking ${id}: HTTP ${response.status}`);
}

/** Cancels one booking through the spec's cancel route; true when the answer says it is cancelled. */
export async function cancelBooking(id: string, token: string): Promise<boolean> {
  const response = await http.asyncRequest(
    platform.routes.cancelBooking.method,
    `${apiBase}${routePath('cancelBooking', { booking_id: id, id })}`,
    null,
    { headers: buildHeaders({ token }), tags: { name: 'cancel' } },
  );
  const status = readJson<Record<string, unknown>>(response)?.[platform.booking.statusField];
  return response.status === 200 && status === platform.booking.cancelledStatus;
}
