/** Reads a search answer through the field names of the target's platform profile (`platform.search.*Field`). */
import type { PlatformProfile } from '../core/platform/defaults.js';
import { readPath } from '../core/platform/discovery.js';

export type SearchFields = PlatformProfile['search'];

/** A service match of a result (best match or other match), as far as the judge needs it. */
export interface SearchMatch {
  catalogId: string | null;
  name: string | null;
  minHourlyRate: number | null;
}

export interface SearchResult {
  instructorId: string | null;
  bestMatch: SearchMatch | null;
  otherMatches: SearchMatch[];
}

/** What the platform understood of the query; a field it did not send is undefined. */
export interface ParsedQuery {
  serviceQuery: string | null | undefined;
  maxPrice: number | null | undefined;
}

/** One search answer, independent of the platform's field names. */
export interface SearchResponse {
  results: SearchResult[];
  softFilteringUsed: boolean;
  /** null when the answer carries no parsed query. */
  parsed: ParsedQuery | null;
}

export type ReadSearchResponse = { ok: true; response: SearchResponse } | { ok: false; problem: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const readNumber = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Reads a parsed JSON body, or names what keeps it from being judged. */
export function readSearchResponse(body: unknown, fields: SearchFields): ReadSearchResponse {
  if (!isObject(body)) return { ok: false, problem: 'the body is not an object' };
  const results = readPath(body, fields.resultsField);
  if (!Array.isArray(results)) return { ok: false, problem: `\`${fields.resultsField}\` is not a list` };
  const meta = readPath(body, fields.metaField);
  if (meta !== undefined && !isObject(meta))
    return { ok: false, problem: `\`${fields.metaField}\` is not an object` };
  const bad = results.findIndex((r) => !isObject(r));
  if (bad >= 0) return { ok: false, problem: `${fields.resultsField}[${bad}] is not an object` };
  return {
    ok: true,
    response: {
      results: results.map((result) => readResult(result, fields)),
      softFilteringUsed: readPath(meta, fields.softFilteringField) === true,
      parsed: readParsed(readPath(meta, fields.parsedField), fields),
    },
  };
}

function readResult(result: unknown, fields: SearchFields): SearchResult {
  const others = readPath(result, fields.otherMatchesField);
  return {
    instructorId: readString(readPath(result, fields.instructorIdField)),
    bestMatch: readMatch(readPath(result, fields.bestMatchField), fields),
    otherMatches: Array.isArray(others)
      ? others.map((m) => readMatch(m, fields)).filter((m): m is SearchMatch => m !== null)
      : [],
  };
}

function readMatch(match: unknown, fields: SearchFields): SearchMatch | null {
  if (!isObject(match)) return null;
  return {
    catalogId: readString(readPath(match, fields.serviceCatalogIdField)),
    name: readString(readPath(match, fields.serviceNameField)),
    minHourlyRate: readNumber(readPath(match, fields.minHourlyRateField)),
  };
}

function readParsed(parsed: unknown, fields: SearchFields): ParsedQuery | null {
  if (!isObject(parsed)) return null;
  const service = readPath(parsed, fields.serviceQueryField);
  const price = readPath(parsed, fields.maxPriceField);
  return {
    serviceQuery: service === undefined ? undefined : readString(service),
    maxPrice: price === undefined ? undefined : readNumber(price),
  };
}
