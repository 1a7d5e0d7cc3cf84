/** Database invariants checked after a run over a read-only connection: no two active bookings of an instructor overlap. */
import pg from 'pg';
import { withPgRetry } from '../../src/core/pg/retry.js';

export interface OverlappingBookings {
  instructorId: string;
  date: string;
  first: { id: string; start: string; end: string; status: string; studentId: string };
  second: { id: string; start: string; end: string; status: string; studentId: string };
}

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What broke, with the offending rows. */
  violations: OverlappingBookings[];
}

/**
 * Runs the profile's overlap query (platform.database.bookingOverlapQuery): each row is a pair of active bookings
 * of one instructor that overlap. Active = PENDING too: the platform's exclusion constraint leaves PENDING out.
 */
export async function checkBookingOverlaps(
  databaseUrl: string,
  overlapSql: string,
): Promise<InvariantResult> {
  // read-only and idempotent: a dropped or refused connection is retried whole with the core policy
  const rows = await withPgRetry(
    async () => {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'preflight-invariants',
        statement_timeout: 30_000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('BEGIN READ ONLY');
        const result = await client.query<Record<string, string>>(overlapSql);
        await client.query('COMMIT');
        return result.rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { operation: 'Checking the booking overlap invariant' },
  );
  return {
    name: 'no two active bookings (PENDING included) of one instructor overlap',
    ok: rows.length === 0,
    violations: rows.map((r) => ({
      instructorId: r.instructor_id as string,
      date: r.day as string,
      first: {
        id: r.a_id as string,
        start: r.a_start as string,
        end: r.a_end as string,
        status: r.a_status as string,
        studentId: r.a_student as string,
      },
      second: {
        id: r.b_id as string,
        start: r.b_start as string,
        end: r.b_end as string,
        status: r.b_status as string,
        studentId: r.b_student as string,
      },
    })),
  };
}

export function describeOverlap(v: OverlappingBookings): string {
  return `instructor ${v.instructorId} on ${v.date}: booking ${v.first.id} (${v.first.status} ${v.first.start}-${v.first.end}) overlaps ${v.second.id} (${v.second.status} ${v.second.start}-${v.second.end})`;
}
