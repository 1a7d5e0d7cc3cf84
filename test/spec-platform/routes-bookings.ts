// POST /bookings (advisory lock + conflict check), check-availability, GET /bookings/{id} and cancel.

import type { PoolClient } from 'pg';
import { ulid } from 'ulid';
import { authenticate, requireRole, takeRouteLimit } from './auth.js';
import type { AppContext } from './context.js';
import {
  FieldErrors,
  formatMinutes,
  HttpProblem,
  isUlid,
  parseDate,
  parseTime,
  type RequestContext,
  readJsonBody,
  sendJson,
} from './http-kit.js';

/** The advisory lock POST /bookings takes on (instructor, date); tests hold it to watch a request wait. */
export const BOOKING_LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';
export const getBookingLockKey = (instructorId: string, date: string) => `booking:${instructorId}:${date}`;

const WEAK_RACE_GAP_MS = 50;
const LOCATION_TYPES = ['student_location', 'instructor_location', 'online'];
const BOOKING_COLUMNS =
  'id, instructor_id, student_id, instructor_service_id, booking_date::text, start_time::text, end_time::text, status';

interface BookingRequest {
  instructorId: string;
  serviceId: string;
  date: string;
  start: number;
  duration: number;
  locationType: string;
  timezone: string;
}

function readBookingRequest(body: Record<string, unknown>, forBooking: boolean): BookingRequest {
  const errors = new FieldErrors();
  const field = (name: string) => ['body', name];
  // fields beyond the spec's (a student_note, say) are ignored, as FastAPI ignores extra fields
  const { instructor_id, instructor_service_id, selected_duration, location_type, timezone } = body;
  if (!isUlid(instructor_id)) errors.add(field('instructor_id'), 'Input should be a ULID', 'ulid');
  if (!isUlid(instructor_service_id))
    errors.add(field('instructor_service_id'), 'Input should be a ULID', 'ulid');
  const date = parseDate(body.booking_date);
  if (!date) errors.add(field('booking_date'), 'Input should be a date as YYYY-MM-DD', 'date_parsing');
  const start = parseTime(body.start_time);
  if (start === undefined) errors.add(field('start_time'), 'Input should be a time as HH:MM', 'time_parsing');
  const duration = selected_duration;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 15 || duration > 720)
    errors.add(field('selected_duration'), 'Input should be an integer from 15 to 720', 'int_range');
  else if (start !== undefined && start + duration > 24 * 60)
    errors.add(field('selected_duration'), 'The lesson must end on its booking date');
  if (forBooking && (typeof location_type !== 'string' || !LOCATION_TYPES.includes(location_type)))
    errors.add(field('location_type'), `Input should be one of ${LOCATION_TYPES.join(', ')}`, 'enum');
  if (timezone !== undefined && typeof timezone !== 'string')
    errors.add(field('timezone'), 'Input should be a string', 'string_type');
  errors.throwIfAny();
  return {
    instructorId: instructor_id as string,
    serviceId: instructor_service_id as string,
    date: date!,
    start: start!,
    duration: duration as number,
    locationType: (location_type as string | undefined) ?? 'online',
    timezone: (timezone as string | undefined) ?? 'America/New_York',
  };
}

async function loadService(client: PoolClient, request: BookingRequest) {
  const { rows } = await client.query<{ duration_options: number[]; prices: Record<string, number> }>(
    `SELECT s.duration_options, json_object_agg(f.format, f.hourly_rate::float8) AS prices
     FROM instructor_services s
     JOIN users u ON u.id = s.instructor_id AND u.is_active
     JOIN service_format_pricing f ON f.instructor_service_id = s.id
     WHERE s.id = $1 AND s.instructor_id = $2 AND s.is_active
     GROUP BY s.id`,
    [request.serviceId, request.instructorId],
  );
  const service = rows[0];
  if (!service) throw new HttpProblem(404, 'NOT_FOUND', 'Instructor service not found');
  if (!service.duration_options.includes(request.duration))
    throw new FieldErrorsProblem(
      'selected_duration',
      `Offered durations: ${service.duration_options.join(', ')}`,
    );
  return service;
}

class FieldErrorsProblem extends HttpProblem {
  constructor(name: string, msg: string) {
    super(422, 'VALIDATION_ERROR', `body.${name}: ${msg}`, {
      errors: [{ loc: ['body', name], msg, type: 'value_error' }],
    });
  }
}

type SlotProblem = 'past' | 'unavailable' | 'conflict';
const SLOT_REASONS: Record<SlotProblem, string> = {
  past: 'The requested time is in the past',
  unavailable: "The requested time is outside the instructor's availability",
  conflict: 'The instructor already has a booking at this time',
};

/** Why the slot cannot be booked, or null: past, outside the weekly windows or a blackout, or an overlap. */
async function findSlotProblem(client: PoolClient, request: BookingRequest): Promise<SlotProblem | null> {
  if (Date.parse(`${request.date}T${formatMinutes(request.start, true)}Z`) < Date.now()) return 'past';
  const start = formatMinutes(request.start);
  const end = formatMinutes(request.start + request.duration);
  const { rows } = await client.query<{ inside: boolean; blackout: boolean; overlap: boolean }>(
    `SELECT
       EXISTS (SELECT 1 FROM weekly_availability WHERE instructor_id = $1
               AND day_of_week = extract(dow FROM $2::date) AND start_time <= $3::time AND end_time >= $4::time) AS inside,
       EXISTS (SELECT 1 FROM blackout_dates WHERE instructor_id = $1 AND date = $2::date) AS blackout,
       EXISTS (SELECT 1 FROM bookings WHERE instructor_id = $1 AND booking_date = $2::date
               AND status <> 'CANCELLED' AND start_time < $4::time AND end_time > $3::time) AS overlap`,
    [request.instructorId, request.date, start, end],
  );
  const found = rows[0]!;
  if (!found.inside || found.blackout) return 'unavailable';
  return found.overlap ? 'conflict' : null;
}

const conflictProblem = () => new HttpProblem(409, 'BOOKING_CONFLICT', SLOT_REASONS.conflict);

export async function handleCreateBooking(ctx: RequestContext, app: AppContext): Promise<void> {
  const student = await requireRole(ctx, app, 'student');
  if (!takeRouteLimit(ctx, app, 'bookings', student.id, app.settings.limits.bookingsPerUser)) return;
  const request = readBookingRequest(await readJsonBody(ctx), true);
  const client = await app.pool.connect();
  try {
    await client.query('BEGIN');
    const service = await loadService(client, request);
    const rate = service.prices[request.locationType];
    if (rate === undefined)
      throw new FieldErrorsProblem(
        'location_type',
        `Offered formats: ${Object.keys(service.prices).join(', ')}`,
      );
    if (!app.settings.weakDoubleBooking) {
      await client.query(BOOKING_LOCK_SQL, [getBookingLockKey(request.instructorId, request.date)]);
      app.metrics.bookingLocks.inc({ action: 'acquire', outcome: 'success' });
    }
    const problem = await findSlotProblem(client, request);
    if (problem === 'conflict') throw conflictProblem();
    // without the lock, a short gap between check and insert lets concurrent requests show the race reliably
    if (app.settings.weakDoubleBooking) await new Promise((resolve) => setTimeout(resolve, WEAK_RACE_GAP_MS));
    if (problem)
      throw new HttpProblem(
        422,
        problem === 'past' ? 'BOOKING_IN_PAST' : 'OUTSIDE_AVAILABILITY',
        SLOT_REASONS[problem],
      );
    const { rows } = await client.query(
      `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time,
         duration_minutes, location_type, timezone, hourly_rate, total_price, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'PENDING')
       RETURNING ${BOOKING_COLUMNS}`,
      [
        ulid(),
        student.id,
        request.instructorId,
        request.serviceId,
        request.date,
        formatMinutes(request.start),
        formatMinutes(request.start + request.duration),
        request.duration,
        request.locationType,
        request.timezone,
        rate,
        Math.round(rate * request.duration * (100 / 60)) / 100,
      ],
    );
    await client.query('COMMIT');
    sendJson(ctx, 201, rows[0]);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // the exclusion constraint covers confirmed bookings even when the check above raced
    if ((error as { code?: string }).code === '23P01') throw conflictProblem();
    throw error;
  } finally {
    client.release();
  }
}

export async function handleCheckAvailability(ctx: RequestContext, app: AppContext): Promise<void> {
  const user = await authenticate(ctx, app);
  const limit = app.settings.limits.checkAvailabilityPerUser;
  if (!takeRouteLimit(ctx, app, 'check_availability', user.id, limit)) return;
  const request = readBookingRequest(await readJsonBody(ctx), false);
  const client = await app.pool.connect();
  try {
    await loadService(client, request);
    const problem = await findSlotProblem(client, request);
    sendJson(ctx, 200, { available: problem === null, reason: problem ? SLOT_REASONS[problem] : null });
  } finally {
    client.release();
  }
}

const notFound = () => new HttpProblem(404, 'NOT_FOUND', 'Booking not found');

export async function handleGetBooking(ctx: RequestContext, app: AppContext): Promise<void> {
  const user = await authenticate(ctx, app);
  const id = ctx.params.id!;
  if (!isUlid(id)) throw notFound();
  const { rows } = await app.pool.query(
    `SELECT ${BOOKING_COLUMNS} FROM bookings WHERE id = $1 AND (student_id = $2 OR instructor_id = $2)`,
    [id, user.id],
  );
  if (!rows[0]) throw notFound();
  sendJson(ctx, 200, rows[0]);
}

export async function handleCancelBooking(ctx: RequestContext, app: AppContext): Promise<void> {
  const user = await authenticate(ctx, app);
  const id = ctx.params.id!;
  if (!isUlid(id)) throw notFound();
  const { rows } = await app.pool.query<{ status: string }>(
    `WITH target AS (SELECT id, status FROM bookings WHERE id = $1 AND (student_id = $2 OR instructor_id = $2)),
     changed AS (UPDATE bookings b SET status = 'CANCELLED' FROM target
                 WHERE b.id = target.id AND target.status IN ('PENDING', 'CONFIRMED') RETURNING b.id)
     SELECT CASE WHEN EXISTS (SELECT 1 FROM changed) THEN 'CANCELLED' ELSE target.status END AS status FROM target`,
    [id, user.id],
  );
  const status = rows[0]?.status;
  if (!status) throw notFound();
  if (status !== 'CANCELLED')
    throw new HttpProblem(409, 'BOOKING_NOT_CANCELLABLE', `A ${status} booking cannot be cancelled`);
  sendJson(ctx, 200, { id, status: 'CANCELLED' });
}
