// GET /instructors (by catalog entry and price) and GET /public/instructors/{id}/availability.
import type { AppContext } from './context.js';
import {
  addDays,
  FieldErrors,
  formatMinutes,
  HttpProblem,
  isUlid,
  parseDate,
  type RequestContext,
  sendJson,
} from './http-kit.js';

const MAX_AVAILABILITY_DAYS = 30;

function readInteger(errors: FieldErrors, ctx: RequestContext, name: string, fallback: number, max: number) {
  const raw = ctx.query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max)
    return (
      errors.add(['query', name], `Input should be an integer from 1 to ${max}`, 'int_range') ?? fallback
    );
  return value;
}

function readPrice(errors: FieldErrors, ctx: RequestContext, name: string): number | null {
  const raw = ctx.query.get(name);
  if (raw === null) return null;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0)
    return errors.add(['query', name], 'Input should be a non-negative number', 'float_parsing') ?? null;
  return value;
}

export async function handleListInstructors(ctx: RequestContext, app: AppContext): Promise<void> {
  const errors = new FieldErrors();
  const catalogId = ctx.query.get('service_catalog_id');
  if (catalogId === null) errors.add(['query', 'service_catalog_id'], 'Field required', 'missing');
  else if (!isUlid(catalogId)) errors.add(['query', 'service_catalog_id'], 'Input should be a ULID', 'ulid');
  const minPrice = readPrice(errors, ctx, 'min_price');
  const maxPrice = readPrice(errors, ctx, 'max_price');
  const page = readInteger(errors, ctx, 'page', 1, 1_000_000);
  const perPage = readInteger(errors, ctx, 'per_page', 20, 100);
  errors.throwIfAny();
  const from = `
    FROM users u
    JOIN instructor_services s ON s.instructor_id = u.id AND s.is_active AND s.service_catalog_id = $1
    JOIN LATERAL (SELECT min(hourly_rate) AS rate FROM service_format_pricing WHERE instructor_service_id = s.id) m
      ON true
    WHERE u.is_active AND u.role = 'instructor'
      AND ($2::numeric IS NULL OR m.rate >= $2) AND ($3::numeric IS NULL OR m.rate <= $3)`;
  const filters = [catalogId, minPrice, maxPrice];
  const total = Number((await app.pool.query(`SELECT count(*) AS n ${from}`, filters)).rows[0].n);
  const { rows } = await app.pool.query<{ id: string; first_name: string; last_name: string }>(
    `SELECT u.id, u.first_name, u.last_name ${from} ORDER BY u.id LIMIT $4 OFFSET $5`,
    [...filters, perPage, (page - 1) * perPage],
  );
  sendJson(ctx, 200, {
    items: rows.map((row) => ({
      id: row.id,
      first_name: row.first_name,
      last_initial: row.last_name.slice(0, 1),
    })),
    total,
    page,
    per_page: perPage,
    has_next: page * perPage < total,
  });
}

/** Free windows of one day: the weekly windows minus the booked spans (minutes since midnight). */
export function subtractBusy(
  windows: Array<[number, number]>,
  busy: Array<[number, number]>,
): Array<[number, number]> {
  const sorted = [...busy].sort((a, b) => a[0] - b[0]);
  const free: Array<[number, number]> = [];
  for (const [start, end] of windows) {
    let cursor = start;
    for (const [busyStart, busyEnd] of sorted) {
      if (busyEnd <= cursor || busyStart >= end) continue;
      if (busyStart > cursor) free.push([cursor, busyStart]);
      cursor = Math.max(cursor, busyEnd);
    }
    if (cursor < end) free.push([cursor, end]);
  }
  return free;
}

const toMinutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

export async function handleAvailability(ctx: RequestContext, app: AppContext): Promise<void> {
  const instructorId = ctx.params.id!;
  const errors = new FieldErrors();
  const startDate = parseDate(ctx.query.get('start_date'));
  if (!startDate) errors.add(['query', 'start_date'], 'Input should be a date as YYYY-MM-DD', 'date_parsing');
  let endDate = parseDate(ctx.query.get('end_date'));
  if (!endDate) errors.add(['query', 'end_date'], 'Input should be a date as YYYY-MM-DD', 'date_parsing');
  if (startDate && endDate && endDate < startDate)
    errors.add(['query', 'end_date'], 'end_date must not be before start_date');
  errors.throwIfAny();
  const lastAllowed = addDays(startDate!, MAX_AVAILABILITY_DAYS - 1);
  if (endDate! > lastAllowed) endDate = lastAllowed;
  const instructor = isUlid(instructorId)
    ? await app.pool.query("SELECT 1 FROM users WHERE id = $1 AND role = 'instructor' AND is_active", [
        instructorId,
      ])
    : { rowCount: 0 };
  if (!instructor.rowCount) throw new HttpProblem(404, 'NOT_FOUND', 'Instructor not found');
  const [weekly, blackouts, bookings] = await Promise.all([
    app.pool.query<{ day_of_week: number; start_time: string; end_time: string }>(
      'SELECT day_of_week, start_time::text, end_time::text FROM weekly_availability WHERE instructor_id = $1',
      [instructorId],
    ),
    app.pool.query<{ date: string }>(
      'SELECT date::text FROM blackout_dates WHERE instructor_id = $1 AND date BETWEEN $2 AND $3',
      [instructorId, startDate, endDate],
    ),
    app.pool.query<{ booking_date: string; start_time: string; end_time: string }>(
      `SELECT booking_date::text, start_time::text, end_time::text FROM bookings
       WHERE instructor_id = $1 AND booking_date BETWEEN $2 AND $3 AND status <> 'CANCELLED'`,
      [instructorId, startDate, endDate],
    ),
  ]);
  const blackoutDates = new Set(blackouts.rows.map((row) => row.date));
  const byDate: Record<string, unknown> = {};
  for (let date = startDate!; date <= endDate!; date = addDays(date, 1)) {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const isBlackout = blackoutDates.has(date);
    const windows = weekly.rows
      .filter((row) => row.day_of_week === weekday)
      .map((row): [number, number] => [toMinutes(row.start_time), toMinutes(row.end_time)]);
    const busy = bookings.rows
      .filter((row) => row.booking_date === date)
      .map((row): [number, number] => [toMinutes(row.start_time), toMinutes(row.end_time)]);
    const free = isBlackout ? [] : subtractBusy(windows, busy);
    byDate[date] = {
      date,
      available_slots: free.map(([start, end]) => ({
        start_time: formatMinutes(start),
        end_time: formatMinutes(end),
      })),
      is_blackout: isBlackout,
    };
  }
  sendJson(ctx, 200, { instructor_id: instructorId, availability_by_date: byDate });
}
