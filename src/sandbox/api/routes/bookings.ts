/**
 * Bookings: create (advisory lock on instructor+date, application conflict check, exclusion constraint),
 * check-availability, list mine, read one (owner, its instructor or admin), cancel (owner).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { ulid } from 'ulid';
import { type ApiContext, query } from '../context.js';
import { type CurrentUser, requireUser } from '../current-user.js';
import { minutesOf, readDate, readInt, readTime, readUlid, timeOf, todayUtc } from '../params.js';
import { ApiError, type FieldError, fieldError, validationError } from '../problem.js';
import { applyRouteLimit, sendRateLimited } from '../security.js';

const ACTIVE = `('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')`;
const FORMATS = ['student_location', 'instructor_location', 'online'];
const STATUSES = ['PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'NO_SHOW'];
/** The gap between check and insert with `double-booking`: wide enough that concurrent requests all pass the check. */
const DOUBLE_BOOKING_GAP_MS = 200;

const BOOKING_COLUMNS = `b.id, b.student_id, b.instructor_id, b.instructor_service_id, to_char(b.booking_date, 'YYYY-MM-DD') AS booking_date,
  to_char(b.start_time, 'HH24:MI:SS') AS start_time, to_char(b.end_time, 'HH24:MI:SS') AS end_time, b.status,
  b.hourly_rate::float8 AS hourly_rate, b.total_price::float8 AS total_price, b.duration_minutes, b.location_type, b.student_note,
  b.created_at, b.cancelled_at, c.name AS service_name`;
const BOOKING_FROM = `bookings b JOIN instructor_services s ON s.id = b.instructor_service_id JOIN service_catalog c ON c.id = s.service_catalog_id`;

interface BookingRequest {
  instructorId: string;
  serviceId: string;
  date: string;
  start: string;
  end: string;
  duration: number;
  locationType: string;
  note: string | null;
}

function readBookingRequest(body: unknown, requireDuration: boolean): BookingRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const instructorId = readUlid(b.instructor_id, 'instructor_id', errors);
  const serviceId =
    requireDuration || b.instructor_service_id !== undefined
      ? readUlid(b.instructor_service_id, 'instructor_service_id', errors)
      : '';
  const date = readDate(b.booking_date, 'booking_date', errors, 'body');
  if (b.booking_date === undefined)
    errors.push(fieldError('body', 'booking_date', 'Field required', 'missing'));
  const start = readTime(b.start_time, 'start_time', errors);
  let duration = readInt(b.selected_duration, 'selected_duration', errors, {
    min: 15,
    max: 480,
    location: 'body',
  });
  if (duration === undefined && typeof b.end_time === 'string' && start) {
    const end = readTime(b.end_time, 'end_time', errors);
    if (end) duration = minutesOf(end) - minutesOf(start);
  }
  if (duration === undefined && errors.length === 0)
    errors.push(fieldError('body', 'selected_duration', 'Field required', 'missing'));
  const locationType = typeof b.location_type === 'string' ? b.location_type : 'instructor_location';
  if (!FORMATS.includes(locationType))
    errors.push(fieldError('body', 'location_type', `Input should be one of ${FORMATS.join(', ')}`, 'enum'));
  const note = typeof b.student_note === 'string' ? b.student_note.slice(0, 1000) : null;
  if (errors.length > 0 || !instructorId || !date || !start || duration === undefined)
    throw validationError(errors);
  const endMinutes = minutesOf(start) + duration;
  if (duration <= 0 || endMinutes > 24 * 60)
    throw validationError([fieldError('body', 'selected_duration', 'The lesson must end on the same day')]);
  return {
    instructorId,
    serviceId: serviceId ?? '',
    date,
    start,
    end: timeOf(endMinutes),
    duration,
    locationType,
    note,
  };
}

function conflict(): ApiError {
  return new ApiError(409, 'BOOKING_CONFLICT', 'This time slot is no longer available');
}

async function hasConflict(
  db: pg.Pool | pg.PoolClient,
  r: BookingRequest,
  excludeId?: string,
): Promise<boolean> {
  const { rows } = await query(
    db,
    `SELECT 1 FROM bookings WHERE instructor_id = $1 AND booking_date = $2 AND status IN ${ACTIVE}
        AND booking_span && tsrange($2::date + $3::time, $2::date + $4::time, '[)') AND ($5::bpchar IS NULL OR id <> $5) LIMIT 1`,
    [r.instructorId, r.date, r.start, r.end, excludeId ?? null],
  );
  return rows.length > 0;
}

async function isWithinAvailability(ctx: ApiContext, r: BookingRequest): Promise<boolean> {
  const { rows } = await query(
    ctx.pool,
    'SELECT 1 FROM availability_slots WHERE instructor_id = $1 AND specific_date = $2 AND start_time <= $3::time AND end_time >= $4::time LIMIT 1',
    [r.instructorId, r.date, r.start, r.end],
  );
  return rows.length > 0;
}

async function readBooking(db: pg.Pool | pg.PoolClient, id: string) {
  const { rows } = await query(db, `SELECT ${BOOKING_COLUMNS} FROM ${BOOKING_FROM} WHERE b.id = $1`, [id]);
  return rows[0];
}

async function createBooking(ctx: ApiContext, student: CurrentUser, body: unknown) {
  const r = readBookingRequest(body, true);
  if (r.date < todayUtc())
    throw validationError([fieldError('body', 'booking_date', 'Bookings must be in the future')]);
  const service = (
    await query<{ duration_options: number[]; rates: Record<string, number> }>(
      ctx.pool,
      `SELECT s.duration_options, json_object_agg(p.format, p.hourly_rate::float8) AS rates
         FROM instructor_services s JOIN service_format_pricing p ON p.instructor_service_id = s.id
        WHERE s.id = $1 AND s.instructor_id = $2 AND s.is_active GROUP BY s.id`,
      [r.serviceId, r.instructorId],
    )
  ).rows[0];
  if (!service) throw new ApiError(404, 'SERVICE_NOT_FOUND', 'Instructor service not found');
  if (!service.duration_options.includes(r.duration)) {
    throw validationError([
      fieldError(
        'body',
        'selected_duration',
        `Input should be one of ${service.duration_options.join(', ')}`,
        'enum',
      ),
    ]);
  }
  if (!(await isWithinAvailability(ctx, r)))
    throw new ApiError(422, 'SLOT_UNAVAILABLE', 'The instructor is not available at this time');
  const b = (body ?? {}) as Record<string, unknown>;
  let rate = service.rates[r.locationType] ?? Math.min(...Object.values(service.rates));
  let status = 'PENDING';
  if (ctx.weak.has('mass-assignment')) {
    if (typeof b.hourly_rate === 'number' && b.hourly_rate > 0) rate = b.hourly_rate;
    if (typeof b.status === 'string' && STATUSES.includes(b.status)) status = b.status;
  }
  const total = Math.round(rate * r.duration * (100 / 60)) / 100;
  const id = ulid();
  const insert = `INSERT INTO bookings (id, student_id, instructor_id, instructor_service_id, booking_date, start_time, end_time, status,
      hourly_rate, total_price, duration_minutes, location_type, student_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;
  const values = [
    id,
    student.id,
    r.instructorId,
    r.serviceId,
    r.date,
    r.start,
    r.end,
    status,
    rate,
    total,
    r.duration,
    r.locationType,
    r.note,
  ];

  if (ctx.weak.has('double-booking')) {
    // check, wait, insert: no lock, no transaction, no constraint
    if (await hasConflict(ctx.pool, r)) throw conflict();
    await sleep(DOUBLE_BOOKING_GAP_MS);
    await query(ctx.pool, insert, values);
    return readBooking(ctx.pool, id);
  }
  // a slot already taken answers at once; only requests that saw it free queue for the lock (and check again there)
  if (await hasConflict(ctx.pool, r)) {
    ctx.metrics.bookingLocks.inc({ action: 'precheck', outcome: 'conflict' });
    throw conflict();
  }
  const client = await ctx.pool.connect();
  try {
    await client.query('BEGIN');
    await query(client, 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `booking:${r.instructorId}:${r.date}`,
    ]);
    if (await hasConflict(client, r)) {
      await client.query('ROLLBACK');
      ctx.metrics.bookingLocks.inc({ action: 'acquire', outcome: 'conflict' });
      throw conflict();
    }
    await query(client, insert, values);
    await client.query('COMMIT');
    ctx.metrics.bookingLocks.inc({ action: 'acquire', outcome: 'success' });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: string }).code === '23P01') {
      ctx.metrics.bookingLocks.inc({ action: 'acquire', outcome: 'constraint' });
      throw conflict();
    }
    if (!(error instanceof ApiError)) ctx.metrics.bookingLocks.inc({ action: 'acquire', outcome: 'error' });
    throw error;
  } finally {
    client.release();
  }
  return readBooking(ctx.pool, id);
}

export function registerBookingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/bookings', async (request, reply) => {
    const user = await requireUser(ctx, request, ['student']);
    const decision = applyRouteLimit(
      ctx,
      request,
      'bookings',
      user.id,
      ctx.rateLimits.bookingsPerUserPerMinute,
    );
    if (decision && !decision.allowed)
      return sendRateLimited(request, reply, decision, 'Too many booking requests. Try again later.');
    const booking = await createBooking(ctx, user, request.body);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(booking);
  });

  app.post('/bookings/check-availability', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const decision = applyRouteLimit(ctx, request, 'checkAvailability', user.id, 30);
    if (decision && !decision.allowed)
      return sendRateLimited(request, reply, decision, 'Too many availability checks. Try again later.');
    const r = readBookingRequest(request.body, false);
    reply.header('cache-control', 'no-store');
    if (r.date < todayUtc()) return { available: false, reason: 'Date is in the past' };
    if (!(await isWithinAvailability(ctx, r)))
      return { available: false, reason: 'Instructor is not available at this time' };
    if (await hasConflict(ctx.pool, r)) return { available: false, reason: 'Time slot is already booked' };
    return { available: true, reason: null };
  });

  app.get('/bookings/:id', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const errors: FieldError[] = [];
    const id = readUlid((request.params as { id: string }).id, 'booking_id', errors, 'path');
    if (!id) throw validationError(errors);
    const booking = await readBooking(ctx.pool, id);
    const visible =
      booking &&
      (ctx.weak.has('idor-bookings') ||
        user.role === 'admin' ||
        booking.student_id === user.id ||
        booking.instructor_id === user.id);
    if (!visible) throw new ApiError(404, 'BOOKING_NOT_FOUND', 'Booking not found');
    reply.header('cache-control', 'no-store');
    return booking;
  });

  app.post('/bookings/:id/cancel', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const errors: FieldError[] = [];
    const id = readUlid((request.params as { id: string }).id, 'booking_id', errors, 'path');
    if (!id) throw validationError(errors);
    const booking = await readBooking(ctx.pool, id);
    if (!booking || (!ctx.weak.has('idor-bookings') && booking.student_id !== user.id))
      throw new ApiError(404, 'BOOKING_NOT_FOUND', 'Booking not found');
    if (!['PENDING', 'CONFIRMED'].includes(booking.status))
      throw new ApiError(409, 'BOOKING_NOT_CANCELLABLE', `A ${booking.status} booking cannot be cancelled`);
    await query(ctx.pool, `UPDATE bookings SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1`, [
      id,
    ]);
    reply.header('cache-control', 'no-store');
    return readBooking(ctx.pool, id);
  });
}
