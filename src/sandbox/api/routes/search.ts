/** GET /search: natural-language instructor search with service-level matching and the platform's soft filtering. */
import type { FastifyInstance } from 'fastify';
import { type ApiContext, isDatabaseUnavailable, query, type SqlError } from '../context.js';
import { ApiError, type FieldError, fieldError, validationError } from '../problem.js';
import { matchServices, parseSearchQuery } from '../search-parse.js';

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const MIN_RESULTS = 5;
const PRICE_RELAXATION = 1.25;

interface CandidateRow {
  service_id: string;
  instructor_id: string;
  service_catalog_id: string;
  service_name: string;
  first_name: string;
  last_name: string;
  rating_average: number;
  rating_count: number;
  region: string;
  min_hourly_rate: number;
  format_prices: Array<{ format: string; hourly_rate: number }>;
}

interface Candidate extends CandidateRow {
  relevance: number;
}

export interface SearchParams {
  q: string;
  limit: number;
  region: string | undefined;
  subcategoryId: string | undefined;
}

function readSearchParams(raw: Record<string, string | undefined>): SearchParams {
  const errors: FieldError[] = [];
  const q = raw.q ?? '';
  if (q.trim().length < 1 || q.length > 500)
    errors.push(fieldError('query', 'q', 'String should have 1 to 500 characters', 'string_length'));
  const limit = raw.limit === undefined ? 20 : Number(raw.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50)
    errors.push(fieldError('query', 'limit', 'Input should be an integer from 1 to 50', 'int_range'));
  if (errors.length > 0) throw validationError(errors);
  return { q, limit, region: raw.region || undefined, subcategoryId: raw.subcategory_id || undefined };
}

const quote = (value: string) => `'${value}'`;

async function loadCandidates(
  ctx: ApiContext,
  serviceIds: string[],
  params: SearchParams,
  priceCeiling: number | null,
): Promise<CandidateRow[]> {
  // nothing above the relaxed price can ever be shown, so it is not fetched
  const sqlParams: unknown[] = [serviceIds, priceCeiling];
  const where = ['s.is_active', 's.service_catalog_id = ANY($1::bpchar[])'];
  // with `sqli-search` the two filters are pasted into the SQL text, as careless code would
  const injectable = ctx.weak.has('sqli-search');
  if (params.region) {
    if (injectable) where.push(`ip.region = ${quote(params.region)}`);
    else {
      sqlParams.push(params.region.toLowerCase());
      where.push(`ip.region = $${sqlParams.length}`);
    }
  }
  if (params.subcategoryId) {
    if (injectable) where.push(`c.subcategory_id = ${quote(params.subcategoryId)}`);
    else {
      if (!ULID_PATTERN.test(params.subcategoryId))
        throw validationError([fieldError('query', 'subcategory_id', 'Input should be a ULID', 'ulid')]);
      sqlParams.push(params.subcategoryId);
      where.push(`c.subcategory_id = $${sqlParams.length}`);
    }
  }
  const sql = `
SELECT s.id AS service_id, s.instructor_id, s.service_catalog_id, c.name AS service_name,
       u.first_name, u.last_name, ip.rating_average::float8 AS rating_average, ip.rating_count, ip.region,
       min(p.hourly_rate)::float8 AS min_hourly_rate,
       json_agg(json_build_object('format', p.format, 'hourly_rate', p.hourly_rate::float8) ORDER BY p.hourly_rate, p.format) AS format_prices
  FROM instructor_services s
  JOIN service_catalog c ON c.id = s.service_catalog_id
  JOIN users u ON u.id = s.instructor_id AND u.is_active
  JOIN instructor_profiles ip ON ip.user_id = s.instructor_id
  JOIN service_format_pricing p ON p.instructor_service_id = s.id
 WHERE ${where.join(' AND ')}
 GROUP BY s.id, c.name, u.first_name, u.last_name, ip.rating_average, ip.rating_count, ip.region
HAVING $2::numeric IS NULL OR min(p.hourly_rate) <= $2`;
  try {
    return (await query<CandidateRow>(ctx.pool, sql, sqlParams, { prepare: !injectable })).rows;
  } catch (error) {
    // error-based injection needs the database's message in the response (with `verbose-errors` the handler adds stack and SQL)
    if (
      injectable &&
      (error as SqlError).code &&
      !isDatabaseUnavailable(error) &&
      !ctx.weak.has('verbose-errors')
    ) {
      throw new ApiError(500, 'SEARCH_FAILED', `Search failed: ${(error as Error).message}`);
    }
    throw error;
  }
}

function countInstructors(candidates: Candidate[]): number {
  return new Set(candidates.map((c) => c.instructor_id)).size;
}

function applyFilters(
  candidates: Candidate[],
  filters: { maxPrice: number | null; location: string | null },
): Candidate[] {
  return candidates.filter(
    (c) =>
      (filters.maxPrice === null || c.min_hourly_rate <= filters.maxPrice) &&
      (filters.location === null || c.region === filters.location),
  );
}

const formatMoney = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export function registerSearchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/search', async (request) => {
    const started = performance.now();
    const params = readSearchParams(request.query as Record<string, string | undefined>);
    const parsed = parseSearchQuery(params.q);
    const catalog = await ctx.getCatalog();
    const match = matchServices(parsed, catalog, ctx.weak.has('nls-category-match'));
    const ceiling = parsed.maxPrice === null ? null : parsed.maxPrice * PRICE_RELAXATION;
    const rows =
      match.scores.size > 0 ? await loadCandidates(ctx, [...match.scores.keys()], params, ceiling) : [];
    const candidates: Candidate[] = rows.map((r) => ({
      ...r,
      relevance: match.scores.get(r.service_catalog_id) ?? 0,
    }));

    let selected = applyFilters(candidates, parsed);
    let softFilteringUsed = false;
    let softFilterMessage: string | null = null;
    const filtersApplied = [
      match.level === 'service' || match.level === 'category' ? 'service' : undefined,
      parsed.maxPrice !== null ? 'price' : undefined,
      parsed.location ? 'location' : undefined,
    ].filter((f): f is string => f !== undefined);
    if (countInstructors(selected) < MIN_RESULTS && (parsed.maxPrice !== null || parsed.location !== null)) {
      softFilteringUsed = true;
      const messages: string[] = [];
      if (parsed.location !== null) {
        selected = applyFilters(candidates, { maxPrice: parsed.maxPrice, location: null });
        messages.push(`widened the area beyond ${parsed.location}`);
      }
      if (countInstructors(selected) < MIN_RESULTS && parsed.maxPrice !== null) {
        const relaxed = parsed.maxPrice * PRICE_RELAXATION;
        selected = applyFilters(candidates, { maxPrice: relaxed, location: null });
        messages.push(
          `included prices up to $${formatMoney(relaxed)} (25% over your $${formatMoney(parsed.maxPrice)} budget)`,
        );
      }
      softFilterMessage = `Few exact matches, so we ${messages.join(' and ')}.`;
    }

    const byInstructor = new Map<string, Candidate[]>();
    for (const c of selected)
      byInstructor.set(c.instructor_id, [...(byInstructor.get(c.instructor_id) ?? []), c]);
    const toMatch = (c: Candidate) => ({
      service_id: c.service_id,
      service_catalog_id: c.service_catalog_id,
      name: c.service_name,
      min_hourly_rate: c.min_hourly_rate,
      format_prices: c.format_prices,
      relevance_score: Number(c.relevance.toFixed(4)),
    });
    const results = [...byInstructor.values()]
      .map((services) => {
        const sorted = [...services].sort(
          (a, b) => b.relevance - a.relevance || a.min_hourly_rate - b.min_hourly_rate,
        );
        const best = sorted[0] as Candidate;
        return {
          instructor_id: best.instructor_id,
          instructor: {
            id: best.instructor_id,
            first_name: best.first_name,
            last_initial: best.last_name.slice(0, 1),
            region: best.region,
          },
          rating: { average: best.rating_average, count: best.rating_count },
          best_match: toMatch(best),
          other_matches: sorted.slice(1).map(toMatch),
          relevance_score: Number((best.relevance * 0.85 + (best.rating_average / 5) * 0.15).toFixed(4)),
          distance_km: null,
        };
      })
      .sort(
        (a, b) =>
          b.relevance_score - a.relevance_score ||
          a.best_match.min_hourly_rate - b.best_match.min_hourly_rate ||
          a.instructor_id.localeCompare(b.instructor_id),
      );
    const latencyMs = Math.round(performance.now() - started);
    ctx.metrics.searchLatency.observe(latencyMs);
    if (results.length === 0) ctx.metrics.searchZeroResults.inc();
    return {
      results: results.slice(0, params.limit),
      meta: {
        query: params.q,
        parsed: { service_query: parsed.serviceQuery, max_price: parsed.maxPrice, location: parsed.location },
        total_results: results.length,
        limit: params.limit,
        latency_ms: latencyMs,
        cache_hit: false,
        soft_filtering_used: softFilteringUsed,
        soft_filter_message: softFilterMessage,
        filters_applied: filtersApplied,
      },
    };
  });
}
