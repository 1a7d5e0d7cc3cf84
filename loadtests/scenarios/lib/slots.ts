// Finding bookable slots through the public routes: instructors with their services, then free availability windows.
import http from 'k6/http';
import { apiBase, buildHeaders, readJson } from './target.js';

export interface Slot {
  instructorId: string;
  serviceId: string;
  date: string;
  startTime: string;
  durationMinutes: number;
}

interface InstructorList {
  items?: Array<{ id: string; services?: Array<{ id: string; duration_options?: number[] }> }>;
}

interface Availability {
  availability_by_date?: Record<
    string,
    { available_slots?: Array<{ start_time: string; end_time: string }> }
  >;
}

const minutesOf = (time: string): number => {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
};
const timeOf = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export function addDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Instructors with a service that offers `durationMinutes` (GET /instructors). */
export async function listBookableInstructors(
  durationMinutes = 60,
): Promise<Array<{ instructorId: string; serviceId: string }>> {
  const response = await http.asyncRequest('GET', `${apiBase}/instructors?per_page=100`, null, {
    headers: buildHeaders(),
    tags: { name: 'instructors' },
  });
  const items = readJson<InstructorList>(response)?.items ?? [];
  const found: Array<{ instructorId: string; serviceId: string }> = [];
  for (const item of items) {
    const service = item.services?.find((s) => (s.duration_options ?? []).includes(durationMinutes));
    if (service) found.push({ instructorId: item.id, serviceId: service.id });
  }
  return found;
}

/** Every free start (on the hour) of an instructor from `fromDay` days ahead, for a lesson of `durationMinutes`. */
export async function listFreeStarts(
  instructorId: string,
  options: { fromDay?: number; days?: number; durationMinutes?: number; tags?: Record<string, string> } = {},
): Promise<Array<{ date: string; startTime: string }>> {
  const duration = options.durationMinutes ?? 60;
  const start = addDays(options.fromDay ?? 2);
  const end = addDays((options.fromDay ?? 2) + (options.days ?? 7) - 1);
  const response = await http.asyncRequest(
    'GET',
    `${apiBase}/public/instructors/${instructorId}/availability?start_date=${start}&end_date=${end}`,
    null,
    { headers: buildHeaders(), tags: { name: 'availability', ...options.tags } },
  );
  const byDate = readJson<Availability>(response)?.availability_by_date ?? {};
  const starts: Array<{ date: string; startTime: string }> = [];
  for (const [date, day] of Object.entries(byDate)) {
    for (const window of day.available_slots ?? []) {
      const from = Math.ceil(minutesOf(window.start_time) / 60) * 60;
      for (let m = from; m + duration <= minutesOf(window.end_time); m += 60)
        starts.push({ date, startTime: timeOf(m) });
    }
  }
  return starts;
}

export function pickRandom<T>(items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(Math.random() * items.length)];
}

/** The booking request body of the platform (POST /bookings and check-availability). */
export function buildBookingBody(slot: Slot, note: string): string {
  return JSON.stringify({
    instructor_id: slot.instructorId,
    instructor_service_id: slot.serviceId,
    booking_date: slot.date,
    start_time: slot.startTime,
    selected_duration: slot.durationMinutes,
    location_type: 'online',
    timezone: 'America/New_York',
    student_note: note,
  });
}
