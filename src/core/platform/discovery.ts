/**
 * Finding a bookable slot through the spec's own routes, as pure functions over the platform profile: search
 * (best match of each result) gives instructor and service, the public availability route gives free windows.
 * No I/O and no imports beyond the profile: k6 scenario bundles and Node code share it.
 */
import { fillRoutePath, type PlatformProfile } from './defaults.js';

export interface BookableService {
  instructorId: string;
  /** The instructor_service id (best_match.service_id). */
  serviceId: string;
  /** The catalog entry of the service (best_match.service_catalog_id), when given. */
  serviceCatalogId: string | undefined;
  minHourlyRate: number | undefined;
}

export interface Slot {
  instructorId: string;
  serviceId: string;
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM */
  startTime: string;
  durationMinutes: number;
}

/** Reads `a.b.c` from a parsed JSON body. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** Path and query of a search request (relative to the API base). */
export function buildSearchPath(profile: PlatformProfile, query: string, limit = 20): string {
  const s = profile.search;
  return `${profile.routes.search.path}?${s.queryParam}=${encodeURIComponent(query)}&${s.limitParam}=${Math.min(limit, s.maxLimit)}`;
}

/** The instructor and service of each result's best match, in result order. */
export function readBestMatches(profile: PlatformProfile, body: unknown): BookableService[] {
  const s = profile.search;
  const results = readPath(body, s.resultsField);
  if (!Array.isArray(results)) return [];
  const found: BookableService[] = [];
  for (const result of results) {
    const best = readPath(result, s.bestMatchField);
    const instructorId = asString(readPath(result, s.instructorIdField));
    const serviceId = asString(readPath(best, s.serviceIdField));
    const rate = readPath(best, s.minHourlyRateField);
    const serviceCatalogId = asString(readPath(best, s.serviceCatalogIdField));
    if (instructorId && serviceId)
      found.push({
        instructorId,
        serviceId,
        serviceCatalogId,
        minHourlyRate: typeof rate === 'number' ? rate : undefined,
      });
  }
  return found;
}

export function addDays(days: number, from = Date.now()): string {
  return new Date(from + days * 86_400_000).toISOString().slice(0, 10);
}

/** Path and query of the instructor listing for one catalog entry (the route requires it). */
export function buildInstructorsPath(
  profile: PlatformProfile,
  serviceCatalogId: string,
  page = 1,
  perPage = 20,
): string {
  const i = profile.instructors;
  return `${profile.routes.instructors.path}?${i.serviceCatalogParam}=${encodeURIComponent(serviceCatalogId)}&page=${page}&${i.perPageParam}=${Math.min(perPage, i.maxPerPage)}`;
}

/** Path and query of the public availability route for `days` days from `fromDay` days ahead. */
export function buildAvailabilityPath(
  profile: PlatformProfile,
  instructorId: string,
  fromDay: number,
  days: number,
): string {
  const a = profile.availability;
  const span = Math.max(1, Math.min(days, a.maxRangeDays));
  const path = fillRoutePath(profile.routes.availability.path, {
    instructor_id: instructorId,
    id: instructorId,
  });
  return `${path}?${a.startParam}=${addDays(fromDay)}&${a.endParam}=${addDays(fromDay + span - 1)}`;
}

const minutesOf = (time: string): number => {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
};
const timeOf = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Every free start on the hour that fits a lesson of `durationMinutes`, from an availability answer. */
export function readFreeStarts(
  profile: PlatformProfile,
  body: unknown,
  durationMinutes: number,
): Array<{ date: string; startTime: string }> {
  const a = profile.availability;
  const byDate = readPath(body, a.byDateField);
  if (!byDate || typeof byDate !== 'object') return [];
  const starts: Array<{ date: string; startTime: string }> = [];
  for (const [date, day] of Object.entries(byDate as Record<string, unknown>)) {
    if (readPath(day, a.blackoutField) === true) continue;
    const windows = readPath(day, a.slotsField);
    if (!Array.isArray(windows)) continue;
    for (const window of windows) {
      const start = asString(readPath(window, a.startField));
      const end = asString(readPath(window, a.endField));
      if (!start || !end) continue;
      const from = Math.ceil(minutesOf(start) / 60) * 60;
      for (let m = from; m + durationMinutes <= minutesOf(end); m += 60)
        starts.push({ date, startTime: timeOf(m) });
    }
  }
  return starts.sort((x, y) => `${x.date}${x.startTime}`.localeCompare(`${y.date}${y.startTime}`));
}

/** The slot configured under `platform.slot`, when every part of it is set. */
export function readConfiguredSlot(profile: PlatformProfile): Slot | undefined {
  const { instructorId, instructorServiceId, date, startTime } = profile.slot;
  if (!instructorId || !instructorServiceId || !date || !startTime) return undefined;
  return {
    instructorId,
    serviceId: instructorServiceId,
    date,
    startTime,
    durationMinutes: profile.booking.durationMinutes,
  };
}

/** The request body of POST bookings and check-availability (the spec's fields only). */
export function buildBookingBody(profile: PlatformProfile, slot: Slot): Record<string, unknown> {
  return {
    instructor_id: slot.instructorId,
    instructor_service_id: slot.serviceId,
    booking_date: slot.date,
    start_time: slot.startTime,
    selected_duration: slot.durationMinutes,
    location_type: profile.booking.locationType,
    timezone: profile.booking.timezone,
  };
}

/** What to tell a user when no slot could be found: the reason and the settings that fix it. */
export function describeNoSlot(reason: string): string {
  return `${reason}; set platform.slot (instructorId, instructorServiceId, date, startTime) in the target's preflight.yaml to a free slot, or platform.discoveryQueries to searches that find bookable services`;
}
