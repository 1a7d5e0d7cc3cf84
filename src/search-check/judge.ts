/** Judges one search response against its golden query: a pure function, no I/O. */
import { defaultPlatform } from '../core/platform/defaults.js';
import { type CatalogIndex, normalizeServiceName } from './catalog.js';
import { type GoldenQuery, loadGoldenSet } from './golden.js';
import type { SearchFields, SearchResponse, SearchResult } from './response.js';

export type { SearchMatch, SearchResponse, SearchResult } from './response.js';

export interface JudgedResult {
  instructorId: string | null;
  /** The service name as returned (or resolved from the catalog id). */
  service: string | null;
  /** The catalog service it stands for, and its category. */
  catalogService: string | null;
  category: string | null;
  minHourlyRate: number | null;
  serviceOk: boolean;
  priceOk: boolean;
  ok: boolean;
}

export interface QueryJudgement {
  q: string;
  expectedService: string | null;
  expectedCategory: string | null;
  maxPrice: number | null;
  tags: string[];
  resultCount: number;
  satisfied: number;
  /** satisfied / resultCount, null without results. */
  precision: number | null;
  softFilteringUsed: boolean;
  parsed: { serviceQuery: string | null; maxPrice: number | null } | null;
  parseProblems: string[];
  /** Human sentences naming what was wrong. */
  problems: string[];
  results: JudgedResult[];
}

export interface JudgeContext {
  catalog: CatalogIndex;
  /** Catalog id -> name, for results that carry only the id. */
  catalogNames?: ReadonlyMap<string, string>;
  /** The target's search field names, used in the problem sentences (default: the spec's). */
  fields?: SearchFields;
}

/** Judges every result of one response: its best match is the expected service, and within the price bound unless soft-filtered. */
export function judgeSearchResponse(
  query: GoldenQuery,
  response: SearchResponse,
  context: JudgeContext = getDefaultContext(),
): QueryJudgement {
  const softFilteringUsed = response.softFilteringUsed;
  const fields = context.fields ?? defaultPlatform.search;
  const expected = query.service === null ? undefined : context.catalog.find(query.service);
  const results = response.results.map((result) => judgeResult(query, result, softFilteringUsed, context));
  const satisfied = results.filter((r) => r.ok).length;
  const parsed = response.parsed && {
    serviceQuery: response.parsed.serviceQuery ?? null,
    maxPrice: response.parsed.maxPrice ?? null,
  };
  const parseProblems = findParseProblems(query, response, fields);
  const judgement: QueryJudgement = {
    q: query.q,
    expectedService: expected?.name ?? null,
    expectedCategory: expected?.category ?? null,
    maxPrice: query.maxPrice,
    tags: query.tags,
    resultCount: results.length,
    satisfied,
    precision: results.length === 0 ? null : satisfied / results.length,
    softFilteringUsed,
    parsed,
    parseProblems,
    problems: [],
    results,
  };
  judgement.problems = describeProblems(judgement, fields);
  return judgement;
}

let defaultContext: JudgeContext | undefined;

/** The catalog of the golden set kept in the repo (read once). */
function getDefaultContext(): JudgeContext {
  defaultContext ??= { catalog: loadGoldenSet().catalog };
  return defaultContext;
}

function judgeResult(
  query: GoldenQuery,
  result: SearchResult,
  softFilteringUsed: boolean,
  context: JudgeContext,
): JudgedResult {
  const match = result.bestMatch ?? undefined;
  const service =
    match?.name ?? (match?.catalogId ? context.catalogNames?.get(match.catalogId) : undefined) ?? null;
  const catalogService = service === null ? undefined : context.catalog.find(service);
  const serviceOk =
    query.service === null
      ? match !== undefined
      : catalogService !== undefined &&
        normalizeServiceName(catalogService.name) === normalizeServiceName(query.service);
  const rate = match?.minHourlyRate ?? null;
  const priceOk =
    query.maxPrice === null || softFilteringUsed || (rate !== null && rate <= query.maxPrice + 1e-9);
  return {
    instructorId: result.instructorId,
    service,
    catalogService: catalogService?.name ?? null,
    category: catalogService?.category ?? null,
    minHourlyRate: rate,
    serviceOk,
    priceOk,
    ok: serviceOk && priceOk,
  };
}

function findParseProblems(query: GoldenQuery, response: SearchResponse, fields: SearchFields): string[] {
  const parsed = response.parsed;
  if (!parsed) return [];
  const problems: string[] = [];
  if (parsed.maxPrice !== undefined) {
    const got = parsed.maxPrice;
    const same =
      got === null || query.maxPrice === null
        ? got === query.maxPrice
        : Math.abs(got - query.maxPrice) < 1e-6;
    if (!same)
      problems.push(`parsed ${fields.maxPriceField} ${got ?? 'null'} (expected ${query.maxPrice ?? 'null'})`);
  }
  if (query.parsedServiceQuery !== undefined) {
    const got = parsed.serviceQuery ?? null;
    if (got === null || normalizeServiceName(got) !== normalizeServiceName(query.parsedServiceQuery)) {
      problems.push(
        `parsed ${fields.serviceQueryField} ${JSON.stringify(got)} (expected "${query.parsedServiceQuery}")`,
      );
    }
  }
  return problems;
}

function describeProblems(j: QueryJudgement, fields: SearchFields): string[] {
  const problems: string[] = [];
  if (j.resultCount === 0) problems.push('no results');
  const wrongService = j.results.filter((r) => !r.serviceOk);
  if (wrongService.length > 0) {
    const what =
      j.expectedService === null ? `without a ${fields.bestMatchField}` : `not ${j.expectedService}`;
    const names = countBy(wrongService, (r) =>
      r.service === null
        ? `no ${fields.bestMatchField}`
        : r.category
          ? `${r.service} (${r.category})`
          : `${r.service} (not in catalog)`,
    );
    problems.push(`${wrongService.length}/${j.resultCount} results ${what}: ${names}`);
  }
  const overBudget = j.results.filter((r) => r.serviceOk && !r.priceOk);
  if (overBudget.length > 0) {
    const prices = countBy(overBudget, (r) =>
      r.minHourlyRate === null ? `no ${fields.minHourlyRateField}` : `$${formatMoney(r.minHourlyRate)}`,
    );
    problems.push(
      `${overBudget.length}/${j.resultCount} results above $${formatMoney(j.maxPrice ?? 0)}: ${prices}`,
    );
  }
  problems.push(...j.parseProblems);
  return problems;
}

/** "guitar (Music) x2, drums (Music)", most frequent first, at most five names. */
function countBy<T>(items: T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 5).map(([name, n]) => (n > 1 ? `${name} x${n}` : name));
  return sorted.length > 5 ? `${shown.join(', ')}, ...` : shown.join(', ');
}

function formatMoney(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
