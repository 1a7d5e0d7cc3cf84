/** Judges one search response against its golden query: a pure function, no I/O. */
import { type CatalogIndex, normalizeServiceName } from './catalog.js';
import { type GoldenQuery, loadGoldenSet } from './golden.js';

/** The parts of the platform's `GET /api/v1/search` response that are judged (see /work/shared/platform.md). */
export interface SearchMatch {
  service_id?: string;
  service_catalog_id?: string;
  name?: string;
  min_hourly_rate?: number;
  format_prices?: Array<{ format: string; hourly_rate: number }>;
  relevance_score?: number;
}

export interface SearchResult {
  instructor_id?: string;
  instructor?: { id?: string; first_name?: string; last_initial?: string };
  rating?: { average?: number; count?: number };
  best_match?: SearchMatch | null;
  other_matches?: SearchMatch[];
  relevance_score?: number;
}

export interface SearchResponse {
  results: SearchResult[];
  meta?: {
    query?: string;
    parsed?: { service_query?: string | null; max_price?: number | null; [key: string]: unknown } | null;
    total_results?: number;
    soft_filtering_used?: boolean;
    soft_filter_message?: string | null;
    [key: string]: unknown;
  };
}

export interface JudgedResult {
  instructorId: string | null;
  /** The service name as returned (or resolved from service_catalog_id). */
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
  /** service_catalog_id -> name, for results that carry only the id. */
  catalogNames?: ReadonlyMap<string, string>;
}

/** Judges every result of one response: best_match is the expected service, and within the price bound unless soft-filtered. */
export function judgeSearchResponse(
  query: GoldenQuery,
  response: SearchResponse,
  context: JudgeContext = getDefaultContext(),
): QueryJudgement {
  const softFilteringUsed = response.meta?.soft_filtering_used === true;
  const expected = query.service === null ? undefined : context.catalog.find(query.service);
  const results = response.results.map((result) => judgeResult(query, result, softFilteringUsed, context));
  const satisfied = results.filter((r) => r.ok).length;
  const parsed = readParsed(response);
  const parseProblems = findParseProblems(query, response);
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
  judgement.problems = describeProblems(judgement);
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
  const match = result.best_match ?? undefined;
  const service =
    match?.name ??
    (match?.service_catalog_id ? context.catalogNames?.get(match.service_catalog_id) : undefined) ??
    null;
  const catalogService = service === null ? undefined : context.catalog.find(service);
  const serviceOk =
    query.service === null
      ? match !== undefined
      : catalogService !== undefined &&
        normalizeServiceName(catalogService.name) === normalizeServiceName(query.service);
  const rate =
    typeof match?.min_hourly_rate === 'number' && Number.isFinite(match.min_hourly_rate)
      ? match.min_hourly_rate
      : null;
  const priceOk =
    query.maxPrice === null || softFilteringUsed || (rate !== null && rate <= query.maxPrice + 1e-9);
  return {
    instructorId: result.instructor_id ?? result.instructor?.id ?? null,
    service,
    catalogService: catalogService?.name ?? null,
    category: catalogService?.category ?? null,
    minHourlyRate: rate,
    serviceOk,
    priceOk,
    ok: serviceOk && priceOk,
  };
}

function readParsed(response: SearchResponse): QueryJudgement['parsed'] {
  const parsed = response.meta?.parsed;
  if (!parsed || typeof parsed !== 'object') return null;
  return {
    serviceQuery: typeof parsed.service_query === 'string' ? parsed.service_query : null,
    maxPrice: typeof parsed.max_price === 'number' ? parsed.max_price : null,
  };
}

function findParseProblems(query: GoldenQuery, response: SearchResponse): string[] {
  const parsed = response.meta?.parsed;
  if (!parsed || typeof parsed !== 'object') return [];
  const problems: string[] = [];
  if ('max_price' in parsed) {
    const got = typeof parsed.max_price === 'number' ? parsed.max_price : null;
    const same =
      got === null || query.maxPrice === null
        ? got === query.maxPrice
        : Math.abs(got - query.maxPrice) < 1e-6;
    if (!same) problems.push(`parsed max_price ${got ?? 'null'} (expected ${query.maxPrice ?? 'null'})`);
  }
  if (query.parsedServiceQuery !== undefined) {
    const got = typeof parsed.service_query === 'string' ? parsed.service_query : null;
    if (got === null || normalizeServiceName(got) !== normalizeServiceName(query.parsedServiceQuery)) {
      problems.push(`parsed service_query ${JSON.stringify(got)} (expected "${query.parsedServiceQuery}")`);
    }
  }
  return problems;
}

function describeProblems(j: QueryJudgement): string[] {
  const problems: string[] = [];
  if (j.resultCount === 0) problems.push('no results');
  const wrongService = j.results.filter((r) => !r.serviceOk);
  if (wrongService.length > 0) {
    const what = j.expectedService === null ? 'without a best_match' : `not ${j.expectedService}`;
    const names = countBy(wrongService, (r) =>
      r.service === null
        ? 'no best_match'
        : r.category
          ? `${r.service} (${r.category})`
          : `${r.service} (not in catalog)`,
    );
    problems.push(`${wrongService.length}/${j.resultCount} results ${what}: ${names}`);
  }
  const overBudget = j.results.filter((r) => r.serviceOk && !r.priceOk);
  if (overBudget.length > 0) {
    const prices = countBy(overBudget, (r) =>
      r.minHourlyRate === null ? 'no min_hourly_rate' : `$${formatMoney(r.minHourlyRate)}`,
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
