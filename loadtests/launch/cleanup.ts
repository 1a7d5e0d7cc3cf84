/**
 * Removes what a run booked, found by its marker (student_note). The sandbox's rows are deleted through its admin
 * URL; on any other target the test students cancel their own marked bookings through the API.
 */
import pg from 'pg';
import { ApiClient, extractAccessToken } from '../../src/http.js';
import { redact } from '../../src/redact.js';
import type { ResolvedTarget } from '../../src/target.js';

export interface CleanupResult {
  method: 'database' | 'api' | 'none';
  removed: number;
  errors: string[];
}

export function createMarker(): string {
  return `preflight-load:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function deleteMarked(adminUrl: string, marker: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'preflight-cleanup' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query('DELETE FROM bookings WHERE student_note = $1', [marker])).rowCount ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function cancelMarked(
  target: ResolvedTarget,
  marker: string,
  students: Array<{ email: string; password: string }>,
  errors: string[],
): Promise<number> {
  const api = new ApiClient(target);
  let removed = 0;
  for (const student of students) {
    try {
      const login = await api.request('POST', target.auth.loginPath, {
        form: { username: student.email, password: student.password },
      });
      const token = extractAccessToken(login, target.auth.cookieName);
      if (!token) continue;
      const list = await api.request('GET', '/bookings', {
        token,
        query: { upcoming_only: 'true', per_page: 100 },
      });
      const items =
        list.status === 200
          ? (list.json<{ items?: Array<{ id: string; status: string; student_note?: string }> }>().items ??
            [])
          : [];
      for (const b of items) {
        if (b.student_note !== marker || !['PENDING', 'CONFIRMED'].includes(b.status)) continue;
        const cancel = await api.request('POST', `/bookings/${b.id}/cancel`, { token });
        if (cancel.status === 200) removed++;
      }
    } catch (error) {
      errors.push(`cleanup as ${student.email}: ${redact((error as Error).message)}`);
    }
  }
  return removed;
}

/** Never throws: failures are listed in the result (the run's own verdict must still be reported). */
export async function cleanupMarkedBookings(
  target: ResolvedTarget | undefined,
  marker: string,
  students: Array<{ email: string; password: string }>,
): Promise<CleanupResult> {
  const errors: string[] = [];
  if (!target) return { method: 'none', removed: 0, errors };
  if (target.sandbox && target.database.adminUrl) {
    try {
      return { method: 'database', removed: await deleteMarked(target.database.adminUrl, marker), errors };
    } catch (error) {
      errors.push(`cleanup through the database: ${redact((error as Error).message)}`);
    }
  }
  return { method: 'api', removed: await cancelMarked(target, marker, students, errors), errors };
}

/** Active bookings still carrying the marker (read-only check after cleanup). */
export async function countMarkedBookings(databaseUrl: string, marker: string): Promise<number> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'preflight-cleanup-check',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bookings WHERE student_note = $1 AND status IN ('PENDING', 'CONFIRMED')`,
      [marker],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
