/**
 * Removes every booking a run created, by id, and proves it: each is cancelled through the spec's cancel route
 * as its own student (on the sandbox, deleted through its admin URL), then looked up again; a booking still
 * active is named in the result. Never throws: the run's own verdict must still be reported.
 */
import pg from 'pg';
import { ApiClient } from '../../src/core/http.js';
import { fillRoutePath } from '../../src/core/platform/defaults.js';
import { redact } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';
import type { CreatedBooking } from './journal.js';

export interface LeftoverBooking {
  id: string;
  student: string;
  /** The status last seen, or why it could not be checked. */
  status: string;
}

export interface CleanupResult {
  method: 'database' | 'api' | 'none';
  /** Bookings the run created (from the journal). */
  created: number;
  /** Their ids and students. */
  bookings: CreatedBooking[];
  /** Bookings this clean-up cancelled or deleted. */
  removed: number;
  /** Bookings still active (or not checkable) after clean-up: each one is a failure. */
  leftover: LeftoverBooking[];
  errors: string[];
}

export async function cleanupBookings(
  target: ResolvedTarget | undefined,
  bookings: CreatedBooking[],
  students: Array<{ email: string; password: string }>,
): Promise<CleanupResult> {
  const result: CleanupResult = {
    method: 'none',
    created: bookings.length,
    bookings,
    removed: 0,
    leftover: [],
    errors: [],
  };
  if (!target || bookings.length === 0) return result;
  if (target.sandbox && target.database.adminUrl) {
    result.method = 'database';
    try {
      result.removed = await deleteByIds(target, target.database.adminUrl, bookings);
      result.leftover = await findActiveInDatabase(target, target.database.adminUrl, bookings);
      return result;
    } catch (error) {
      result.errors.push(`clean-up through the database: ${redact((error as Error).message)}`);
    }
  }
  result.method = 'api';
  const api = new ApiClient(target);
  const passwords = new Map(students.map((s) => [s.email, s.password]));
  const byStudent = new Map<string, CreatedBooking[]>();
  for (const booking of bookings)
    byStudent.set(booking.student, [...(byStudent.get(booking.student) ?? []), booking]);
  const leftover: LeftoverBooking[] = [];
  for (const [student, own] of byStudent) {
    const password = passwords.get(student);
    let token: string | undefined;
    try {
      token = password ? (await api.loginWith(student, password)).token : undefined;
    } catch (error) {
      result.errors.push(`clean-up as ${student}: ${redact((error as Error).message)}`);
    }
    for (const booking of own) {
      if (!token) {
        leftover.push({
          ...booking,
          status: password ? 'unknown: login failed' : 'unknown: no password for its student',
        });
        continue;
      }
      try {
        const before = await readStatus(api, token, booking.id);
        if (isActive(target, before)) {
          await cancel(api, token, booking.id);
          const after = await readStatus(api, token, booking.id);
          if (isActive(target, after)) leftover.push({ ...booking, status: after });
          else result.removed++;
        }
      } catch (error) {
        leftover.push({ ...booking, status: `unknown: ${redact((error as Error).message)}` });
      }
    }
  }
  result.leftover = leftover;
  // the database has the last word when the target gives a read-only URL
  if (target.database.readonlyUrl) {
    try {
      const active = await findActiveInDatabase(target, target.database.readonlyUrl, bookings);
      const known = new Set(leftover.map((l) => l.id));
      for (const row of active) if (!known.has(row.id)) leftover.push(row);
    } catch (error) {
      result.errors.push(`clean-up check in the database: ${redact((error as Error).message)}`);
    }
  }
  return result;
}

function isActive(target: ResolvedTarget, status: string): boolean {
  return target.platform.booking.activeStatuses.includes(status) || status.startsWith('unknown');
}

/**
 * The booking's status as its own student sees it. Cancelling never deletes, so a 404 is no proof of anything (a
 * missing route, a wrong path): it is `unknown`, which counts as still active.
 */
async function readStatus(api: ApiClient, token: string, id: string): Promise<string> {
  const { routes, booking } = api.target.platform;
  const response = await api.request(
    routes.getBooking.method,
    fillRoutePath(routes.getBooking.path, { booking_id: id, id }),
    { token },
  );
  if (response.status !== 200) return `unknown: HTTP ${response.status} from ${routes.getBooking.path}`;
  const status = response.json<Record<string, unknown>>()[booking.statusField];
  return typeof status === 'string' ? status : `unknown: no ${booking.statusField} field`;
}

async function cancel(api: ApiClient, token: string, id: string): Promise<void> {
  const { routes } = api.target.platform;
  await api.request(
    routes.cancelBooking.method,
    fillRoutePath(routes.cancelBooking.path, { booking_id: id, id }),
    {
      token,
    },
  );
}

async function withClient<T>(url: string, name: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function deleteByIds(
  target: ResolvedTarget,
  adminUrl: string,
  bookings: CreatedBooking[],
): Promise<number> {
  const ids = bookings.map((b) => b.id);
  return withClient(adminUrl, 'preflight-cleanup', async (client) => {
    return (await client.query(target.platform.database.deleteBookingsByIdQuery, [ids])).rowCount ?? 0;
  });
}

/** Bookings of the run still active in the database (id, status). */
export async function findActiveInDatabase(
  target: ResolvedTarget,
  databaseUrl: string,
  bookings: CreatedBooking[],
): Promise<LeftoverBooking[]> {
  const students = new Map(bookings.map((b) => [b.id, b.student]));
  return withClient(databaseUrl, 'preflight-cleanup-check', async (client) => {
    const { rows } = await client.query<{ id: string; status: string }>(
      target.platform.database.activeBookingsByIdQuery,
      [[...students.keys()]],
    );
    return rows.map((r) => ({ id: r.id, status: r.status, student: students.get(r.id) ?? '' }));
  });
}

export function describeLeftover(leftover: LeftoverBooking[]): string {
  return leftover.map((l) => `${l.id} (${l.status}, student ${l.student})`).join(', ');
}
