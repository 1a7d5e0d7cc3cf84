// GET /search: parse, match catalog entries (service level), price filter with the spec's soft relaxation.
import type { AppContext } from './context.js';
import { FieldErrors, type RequestContext, sendJson } from './http-kit.js';
import {
  type CatalogTerms,
  getSignificantWords,
  parseSearchQuery,
  scoreCatalogEntry,
} from './search-parse.js';

interface ServiceRow {
  service_id: string;
  instructor_id: string;
  service_catalog_id: string;
  name: string;
  first_name: string;
  last_name: string;
  rating_average: number | null;
  rating_count: number;
  min_hourly_rate: number;
  format_prices: Array<{ format: string; hourly_rate: number }>;
}

interface Match {
  service_id: string;
  service_catalog_id: string;
  name: string;
  min_hourly_rate: number;
  format_prices: Array<{ format: string; hourly_rate: number }>;
  relevance_score: number;
}

const MIN_RESULTS_BEFORE_RELAXING = 5;
const PRICE_RELAXATION = 1.25;
const PRICE_ONLY_SCORE = 0.5;

const SERVICES_SQL = `
SELECT s.id AS service_id, s.instructor_id, s.service_catalog_id, c.name, u.first_name, u.last_name,
       p.rating_average::float8 AS rating_average, coalesce(p.rating_count, 0) AS rating_count,
       min(f.hourly_rate)::float8 AS min_hourly_rate,
       json_agg(json_build_object('format', f.format, 'hourly_rate', f.hourly_rate::float8) ORDER BY f.format)
         AS format_prices
FROM instructor_services s
JOIN service_catalog c ON c.id = s.service_catalog_id
JOIN users u ON u.id = s.instructor_id AND u.is_active
LEFT JOIN instructor_profiles p ON p.user_id = u.id
JOIN service_format_pricing f ON f.instructor_service_id = s.id
WHERE s.is_active AND s.service_catalog_id = ANY($1)
GROUP BY s.id, c.name, u.id, p.user_id`;

function readSearchParams(ctx: RequestContext): { q: string; limit: number } {
  const errors = new FieldErrors();
  const q = ctx.query.get('q');
  if (q === null) errors.add(['query', 'q'], 'Field required', 'missing');
  else if (q.trim().length < 1 || q.length > 500)
    errors.add(['query', 'q'], 'String should have 1 to 500 characters', 'string_length');
  const rawLimit = ctx.query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!/^\d+$/.test(rawLimit ?? '20') || limit < 1 || limit > 50)
    errors.add(['query', 'limit'], 'Input should be an integer from 1 to 50', 'int_range');
  errors.throwIfAny();
  return { q: q!, limit };
}

function groupByInstructor(rows: ServiceRow[], scores: Map<string, number>, maxPrice: number | null) {
  const byInstructor = new Map<string, { row: ServiceRow; matches: Match[] }>();
  for (const row of rows) {
    if (maxPrice !== null && row.min_hourly_rate > maxPrice) continue;
    const match: Match = {
      service_id: row.service_id,
      service_catalog_id: row.service_catalog_id,
      name: row.name,
      min_hourly_rate: row.min_hourly_rate,
      format_prices: row.format_prices,
      relevance_score: scores.get(row.service_catalog_id) ?? 0,
    };
    const entry = byInstructor.get(row.instructor_id) ?? { row, matches: [] };
    entry.matches.push(match);
    byInstructor.set(row.instructor_id, entry);
  }
  const results = [...byInstructor.values()].map(({ row, matches }) => {
    matches.sort((a, b) => b.relevance_score - a.relevance_score || a.min_hourly_rate - b.min_hourly_rate);
    const [best, ...others] = matches as [Match, ...Match[]];
    return {
      instructor_id: row.instructor_id,
      instructor: {
        id: row.instructor_id,
        first_name: row.first_name,
        last_initial: row.last_name.slice(0, 1),
      },
      rating: { average: row.rating_average, count: row.rating_count },
      best_match: best,
      other_matches: others,
      relevance_score: best.relevance_score,
    };
  });
  return results.sort(
    (a, b) =>
      b.relevance_score - a.relevance_score ||
      (b.rating.average ?? 0) - (a.rating.average ?? 0) ||
      a.best_match.min_hourly_rate - b.best_match.min_hourly_rate ||
      a.instructor_id.localeCompare(b.instructor_id),
  );
}

export async function handleSearch(ctx: RequestContext, app: AppContext): Promise<void> {
  const started = performance.now();
  const { q, limit } = readSearchParams(ctx);
  const parsed = parseSearchQuery(q);
  const words = getSignificantWords(parsed.service_query);
  const catalog = await app.pool.query<CatalogTerms>(
    'SELECT id, name, slug, search_terms FROM service_catalog',
  );
  const scores = new Map<string, number>();
  for (const entry of catalog.rows) {
    // a query that names only a price ("lessons under $50") may be any service
    const score =
      words.length === 0 && parsed.max_price !== null ? PRICE_ONLY_SCORE : scoreCatalogEntry(entry, words);
    if (score > 0) scores.set(entry.id, score);
  }
  const rows =
    scores.size === 0 ? [] : (await app.pool.query<ServiceRow>(SERVICES_SQL, [[...scores.keys()]])).rows;
  let results = groupByInstructor(rows, scores, parsed.max_price);
  let softFilteringUsed = false;
  let softFilterMessage: string | null = null;
  if (parsed.max_price !== null && results.length < MIN_RESULTS_BEFORE_RELAXING) {
    const relaxedPrice = Math.round(parsed.max_price * PRICE_RELAXATION * 100) / 100;
    const strictCount = results.length;
    results = groupByInstructor(rows, scores, relaxedPrice);
    softFilteringUsed = true;
    softFilterMessage = `Only ${strictCount} results matched under $${parsed.max_price}; showing results up to $${relaxedPrice}.`;
  }
  const latencyMs = Math.round(performance.now() - started);
  app.metrics.searchLatency.observe(latencyMs);
  if (results.length === 0) app.metrics.searchZeroResults.inc();
  sendJson(ctx, 200, {
    results: results.slice(0, limit),
    meta: {
      query: q,
      parsed,
      total_results: results.length,
      limit,
      latency_ms: latencyMs,
      cache_hit: false,
      soft_filtering_used: softFilteringUsed,
      soft_filter_message: softFilterMessage,
      filters_applied: parsed.max_price === null ? [] : ['price'],
    },
  });
}
