/** GET /instructors, GET /public/instructors/{id}/availability, GET /instructors/me/bookings (instructor only). */
import type { FastifyInstance } from 'fastify';
import { type ApiContext, query } from '../context.js';
import {
  addDaysTo,
  minutesOf,
  readDate,
  readInt,
  readNumber,
  readUlid,
  timeOf,
  todayUtc,
} from '../params.js';
import { ApiError, type FieldError, validationError } from '../problem.js';

const MAX_AVAILABILITY_DAYS = 30;

/** Free intervals of a day: availability windows minus active bookings. */
export function subtractBookings(
  windows: Array<[number, number]>,
  booked: Array<[number, number]>,
): Array<[number, number]> {
  let free = windows;
  for (const [bs, be] of booked) {
    free = free.flatMap(([s, e]): Array<[number, number]> => {
      if (be <= s || bs >= e) return [[s, e]];
      const parts: Array<[number, number]> = [];
      if (bs > s) parts.push([s, bs]);
      if (be < e) parts.push([be, e]);
      return parts;
    });
  }
  return free;
}

export function registerInstructorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/instructors', async (request) => {
    const raw = request.query as Record<string, string | undefined>;
    const errors: FieldError[] = [];
    // the spec makes service_catalog_id part of the route: without it the platform answers 422
    const serviceCatalogId = raw.service_catalog_id
      ? readUlid(raw.service_catalog_id, 'service_catalog_id', errors, 'query')
      : undefined;
    if (!raw.service_catalog_id)
      errors.push({ loc: ['query', 'service_catalog_id'], msg: 'Field required', type: 'missing' });
    const minPrice = readNumber(raw.min_price, 'min_price', errors);
    const maxPrice = readNumber(raw.max_price, 'max_price', errors);
    const page = readInt(raw.page, 'page', errors, { min: 1, fallback: 1 }) ?? 1;
    const perPage = readInt(raw.per_page, 'per_page', errors, { min: 1, max: 100, fallback: 20 }) ?? 20;
    if (errors.length > 0) throw validationError(errors);
    const params: unknown[] = [serviceCatalogId ?? null, minPrice ?? null, maxPrice ?? null];
    const { rows } = await query<{
      user_id: string;
      first_name: string;
      last_name: string;
      bio: string;
      years_experience: number;
      region: string;
      rating_average: number;
      rating_count: number;
      services: unknown[];
      total: string;
    }>(
      ctx.pool,
      `WITH svc AS (
         SELECT s.id, s.instructor_id, s.service_catalog_id, c.name, s.duration_options,
                min(p.hourly_rate)::float8 AS min_hourly_rate,
                json_agg(json_build_object('format', p.format, 'hourly_rate', p.hourly_rate::float8) ORDER BY p.hourly_rate) AS format_prices
           FROM instructor_services s
           JOIN service_catalog c ON c.id = s.service_catalog_id
           JOIN service_format_pricing p ON p.instructor_service_id = s.id
          WHERE s.is_active AND ($1::bpchar IS NULL OR s.service_catalog_id = $1)
          GROUP BY s.id, c.name
         HAVING ($2::numeric IS NULL OR min(p.hourly_rate) >= $2) AND ($3::numeric IS NULL OR min(p.hourly_rate) <= $3)
       )
       SELECT u.id AS user_id, u.first_name, u.last_name, ip.bio, ip.years_experience, ip.region,
              ip.rating_average::float8 AS rating_average, ip.rating_count,
              json_agg(json_build_object('id', svc.id, 'service_catalog_id', svc.service_catalog_id, 'name', svc.name,
                       'min_hourly_rate', svc.min_hourly_rate, 'format_prices', svc.format_prices,
                       'duration_options', svc.duration_options) ORDER BY svc.min_hourly_rate) AS services,
              count(*) OVER () AS total
         FROM svc
         JOIN users u ON u.id = svc.instructor_id AND u.is_active
         JOIN instructor_profiles ip ON ip.user_id = u.id
        GROUP BY u.id, ip.id
        ORDER BY ip.rating_average DESC, u.id
        LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
      params,
    );
    const total = Number(rows[0]?.total ?? 0);
    return {
      items: rows.map((r) => ({
        id: r.user_id,
        user_id: r.user_id,
        first_name: r.first_name,
        last_initial: r.last_name.slice(0, 1),
        bio: r.bio,
        years_experience: r.years_experience,
        region: r.region,
        rating: { average: r.rating_average, count: r.rating_count },
      })),
      total,
      page,
      per_page: perPage,
      has_next: page * perPage < total,
      has_prev: page > 1,
    };
  });

  app.get('/public/instructors/:id/availability', async (request) => {
    const raw = request.query as Record<string, string | undefined>;
    const errors: FieldError[] = [];
    const id = readUlid((request.params as { id: string }).id, 'instructor_id', errors, 'path');
    const start = readDate(raw.start_date, 'start_date', errors) ?? todayUtc();
    let end = readDate(raw.end_date, 'end_date', errors) ?? addDaysTo(start, 6);
    if (errors.length > 0 || !id) throw validationError(errors);
    if (end < start)
      throw validationError([
        { loc: ['query', 'end_date'], msg: 'end_date must not be before start_date', type: 'value_error' },
      ]);
    if (end > addDaysTo(start, MAX_AVAILABILITY_DAYS - 1)) end = addDaysTo(start, MAX_AVAILABILITY_DAYS - 1);
    const instructor = await query<{ first_name: string; last_name: string }>(
      ctx.pool,
      `SELECT first_name, last_name FROM users WHERE id = $1 AND role = 'instructor' AND is_active`,
      [id],
    );
    const who = instructor.rows[0];
    if (!who) throw new ApiError(404, 'INSTRUCTOR_NOT_FOUND', 'Instructor not found');
    const [windows, booked] = await Promise.all([
      query<{ day: string; start_time: string; end_time: string }>(
        ctx.pool,
        `SELECT to_char(specific_date, 'YYYY-MM-DD') AS day, start_time::text, end_time::text FROM availability_slots
          WHERE instructor_id = $1 AND specific_date BETWEEN $2 AND $3 ORDER BY specific_date, start_time`,
        [id, start, end],
      ),
      query<{ day: string; start_time: string; end_time: string }>(
        ctx.pool,
        `SELECT to_char(booking_date, 'YYYY-MM-DD') AS day, start_time::text, end_time::text FROM bookings
          WHERE instructor_id = $1 AND booking_date BETWEEN $2 AND $3 AND status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')`,
        [id, start, end],
      ),
    ]);
    const byDate: Record<
      string,
      { date: string; available_slots: Array<{ start_time: string; end_time: string }>; is_blackout: boolean }
    > = {};
    let total = 0;
    for (let day = start; day <= end; day = addDaysTo(day, 1)) {
      const dayWindows = windows.rows
        .filter((w) => w.day === day)
        .map((w): [number, number] => [minutesOf(w.start_time), minutesOf(w.end_time)]);
      const dayBooked = booked.rows
        .filter((b) => b.day === day)
        .map((b): [number, number] => [minutesOf(b.start_time), minutesOf(b.end_time)]);
      const free = subtractBookings(dayWindows, dayBooked);
      if (free.length === 0) continue;
      total += free.length;
      byDate[day] = {
        date: day,
        available_slots: free.map(([s, e]) => ({ start_time: timeOf(s), end_time: timeOf(e) })),
        is_blackout: false,
      };
    }
    return {
      instructor_id: id,
      instructor_first_name: who.first_name,
      instructor_last_initial: who.last_name.slice(0, 1),
      availability_by_date: byDate,
      timezone: 'America/New_York',
      total_available_slots: total,
      earliest_available_date: Object.keys(byDate)[0] ?? null,
    };
  });
}
