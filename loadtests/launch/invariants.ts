/** Database invariants checked after a run over a read-only connection: no two active bookings of an instructor overlap. */
import pg from 'pg';

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

/** Active = PENDING too: the platform's exclusion constraint leaves PENDING out, so the app must keep it honest. */
const overlapSql = `SELECT a.instructor_id, to_char(a.booking_date, 'YYYY-MM-DD') AS day,
    a.id AS a_id, a.start_time::text AS a_start, a.end_time::text AS a_end, a.status AS a_status, a.student_id AS a_student,
    b.id AS b_id, b.start_time::text AS b_start, b.end_time::text AS b_end, b.status AS b_status, b.student_id AS b_student
  FROM bookings a JOIN bookings b
    ON a.instructor_id = b.instructor_id AND a.booking_date = b.booking_date AND a.id < b.id
   AND a.start_time < b.end_time AND b.start_time < a.end_time
 WHERE a.status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW') AND b.status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')
 ORDER BY a.instructor_id, a.booking_date, a.start_time, a.id, b.id
 LIMIT 200`;

export async function checkBookingOverlaps(databaseUrl: string): Promise<InvariantResult> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'preflight-invariants',
    statement_timeout: 30_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const { rows } = await client.query<Record<string, string>>(overlapSql);
    await client.query('COMMIT');
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
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeOverlap(v: OverlappingBookings): string {
  return `instructor ${v.instructorId} on ${v.date}: booking ${v.first.id} (${v.first.status} ${v.first.start}-${v.first.end}) overlaps ${v.second.id} (${v.second.status} ${v.second.start}-${v.second.end})`;
}
