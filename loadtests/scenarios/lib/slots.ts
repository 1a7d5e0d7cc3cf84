// Finding bookable slots through the spec's routes only: the configured slot (platform.slot), else search (the
// best match of each result gives instructor and service) and the public availability route.
import http from 'k6/http';
import {
  type BookableService,
  buildAvailabilityPath,
  buildBookingBody as buildBody,
  buildSearchPath,
  describeNoSlot,
  readBestMatches,
  readConfiguredSlot,
  readFreeStarts,
  type Slot,
} from '../../../src/core/platform/discovery.js';
import { platform } from './platform.js';
import { apiBase, buildHeaders, readJson } from './target.js';

export type { BookableService, Slot };

export function pickRandom<T>(items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(Math.random() * items.length)];
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Instructor + service pairs from the best match of each result of `query` (GET search). */
export async function searchBookable(
  query: string,
  tags: Record<string, string> = {},
): Promise<BookableService[]> {
  const response = await http.asyncRequest('GET', `${apiBase}${buildSearchPath(platform, query)}`, null, {
    headers: buildHeaders(),
    tags: { name: 'search', ...tags },
  });
  return response.status === 200 ? readBestMatches(platform, readJson<unknown>(response)) : [];
}

/** Every free start (on the hour) of an instructor from `fromDay` days ahead, for a lesson of `durationMinutes`. */
/** Instructors and catalog entries found by searching the profile's discovery queries (the spec's listing needs a service_catalog_id). */
export type DiscoveredInstructors = { instructors: string[]; catalogIds: string[] };

export async function discoverInstructors(): Promise<DiscoveredInstructors> {
  const instructors = new Set<string>();
  const catalogIds = new Set<string>();
  for (const query of platform.discoveryQueries) {
    for (const found of await searchBookable(query, { name: 'discover-search' })) {
      instructors.add(found.instructorId);
      if (found.serviceCatalogId) catalogIds.add(found.serviceCatalogId);
    }
  }
  if (instructors.size === 0)
    throw new Error(
      `no instructors found: searches for ${platform.discoveryQueries.join(', ')} returned none (set platform.discoveryQueries)`,
    );
  return { instructors: [...instructors], catalogIds: [...catalogIds] };
}

export async function listFreeStarts(
  instructorId: string,
  options: { fromDay?: number; days?: number; durationMinutes?: number; tags?: Record<string, string> } = {},
): Promise<Array<{ date: string; startTime: string }>> {
  const path = buildAvailabilityPath(platform, instructorId, options.fromDay ?? 2, options.days ?? 7);
  const response = await http.asyncRequest('GET', `${apiBase}${path}`, null, {
    headers: buildHeaders(),
    tags: { name: 'availability', ...options.tags },
  });
  if (response.status !== 200) return [];
  return readFreeStarts(
    platform,
    readJson<unknown>(response),
    options.durationMinutes ?? platform.booking.durationMinutes,
  );
}

export type SlotSearch = { slot: Slot; reason?: undefined } | { slot?: undefined; reason: string };

/** A free slot: the configured one, else the first free start found through search and availability. */
export async function findBookableSlot(
  options: { fromDay?: number; days?: number } = {},
): Promise<SlotSearch> {
  const configured = readConfiguredSlot(platform);
  if (configured) return { slot: configured };
  const duration = platform.booking.durationMinutes;
  let services = 0;
  for (const query of platform.discoveryQueries) {
    const candidates = shuffle(await searchBookable(query, { name: 'discover-search' }));
    services += candidates.length;
    for (const candidate of candidates.slice(0, 3)) {
      const starts = await listFreeStarts(candidate.instructorId, {
        fromDay: options.fromDay ?? 3,
        days: options.days ?? 21,
        durationMinutes: duration,
        tags: { name: 'discover-availability' },
      });
      const start = pickRandom(starts);
      if (start)
        return {
          slot: {
            instructorId: candidate.instructorId,
            serviceId: candidate.serviceId,
            ...start,
            durationMinutes: duration,
          },
        };
    }
  }
  const tried = platform.discoveryQueries.join(', ');
  return {
    reason: describeNoSlot(
      services === 0
        ? `no bookable slot found: searches for ${tried} returned no result with an instructor and a best-match service`
        : `no bookable slot found: none of the instructors found by searching ${tried} had a free ${duration}-minute start`,
    ),
  };
}

/** The request body of POST bookings and check-availability (the spec's fields only). */
export function buildBookingBody(slot: Slot): string {
  return JSON.stringify(buildBody(platform, slot));
}
