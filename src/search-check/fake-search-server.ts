/**
 * A tiny real HTTP server answering GET /api/v1/search with platform-shaped responses (platform.md), for tests of
 * the command. It plays the platform, so it names the spec's route and fields; options move the route and
 * rename fields like a deployment with other names would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A search result as platform.md describes it. */
export interface PlatformSearchResult {
  instructor_id: string;
  instructor: { id: string; first_name: string; last_initial: string };
  rating: { average: number; count: number };
  best_match: {
    service_id: string;
    service_catalog_id: string;
    name: string;
    min_hourly_rate: number;
    format_prices: Array<{ format: string; hourly_rate: number }>;
    relevance_score: number;
  };
  other_matches: unknown[];
  relevance_score: number;
}

/** A search answer as platform.md describes it. */
export interface PlatformSearchBody {
  results: PlatformSearchResult[];
  meta: Record<string, unknown> & {
    parsed: { service_query: string | null; max_price: number | null; location: null };
    soft_filtering_used: boolean;
  };
}

export interface FakeSearchOptions {
  /** Path of the search route (default /api/v1/search). */
  searchPath?: string;
  /** Names of the query and limit parameters (default q and limit). */
  queryParam?: string;
  limitParam?: string;
  /** Spec field name -> the name this platform uses instead, applied to every key of the answer. */
  renameFields?: Record<string, string>;
}

export interface FakeInstructor {
  id: string;
  service: string;
  catalogId: string;
  category: string;
  rate: number;
}

export interface FakeSearchServer {
  baseUrl: string;
  /** Requests seen, with their headers. */
  requests: Array<{ url: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

export type FakeSearchMode = 'service' | 'category' | 'ignore-price' | 'error' | 'rate-limit-once';

const services: Array<[string, string, string[]]> = [
  ['Piano', 'Music', ['piano', 'pianos', 'pianno']],
  ['Guitar', 'Music', ['guitar', 'guitars', 'guittar']],
  ['Violin', 'Music', ['violin', 'violins']],
  ['Voice', 'Music', ['voice', 'singing']],
  ['Drums', 'Music', ['drums', 'drum']],
  ['Spanish', 'Languages', ['spanish', 'spansh']],
  ['French', 'Languages', ['french']],
  ['Mandarin', 'Languages', ['mandarin']],
  ['Tennis', 'Sports & fitness', ['tennis']],
  ['Swimming', 'Sports & fitness', ['swimming']],
  ['Yoga', 'Sports & fitness', ['yoga']],
  ['Math', 'Tutoring', ['math']],
  ['SAT Prep', 'Tutoring', ['sat']],
  ['Chemistry', 'Tutoring', ['chemistry']],
];

/** Eight instructors per service, $30-$200 an hour. */
export function createFakeInstructors(): FakeInstructor[] {
  const out: FakeInstructor[] = [];
  services.forEach(([service, category], s) => {
    for (let i = 0; i < 8; i++) {
      out.push({
        id: `01HX${String(s).padStart(2, '0')}${String(i).padStart(2, '0')}`,
        service,
        catalogId: `cat-${s}`,
        category,
        rate: 30 + i * 24,
      });
    }
  });
  return out;
}

const pricePatterns = [
  /(?:under|less than|max)\s*\$\s*(\d+)/,
  /\$\s*(\d+)\s*or less/,
  /(\d+)\s*(?:per hour|dollars)/,
  /under\s+(\d+)/,
];

/** Parses a query the way the platform documents, and searches at service level (or category level in 'category' mode). */
export function answerSearch(
  q: string,
  limit: number,
  mode: FakeSearchMode,
  instructors = createFakeInstructors(),
): PlatformSearchBody {
  const text = q.toLowerCase();
  let maxPrice: number | null = null;
  for (const pattern of pricePatterns) {
    const m = pattern.exec(text);
    if (m && !(pattern.source.startsWith('under\\s+') && Number(m[1]) < 20)) {
      maxPrice = Number(m[1]);
      break;
    }
  }
  const words = text.split(/[^a-z]+/);
  const service = services.find(([, , terms]) => terms.some((t) => words.includes(t)));
  let hits = instructors.filter(
    (i) => !service || (mode === 'category' ? i.category === service[1] : i.service === service[0]),
  );
  let soft = false;
  if (maxPrice !== null && mode !== 'ignore-price') {
    const strict = hits.filter((i) => i.rate <= maxPrice!);
    if (strict.length < 5) {
      soft = true;
      hits = hits.filter((i) => i.rate <= maxPrice! * 1.25);
    } else hits = strict;
  }
  const results: PlatformSearchResult[] = hits.slice(0, limit).map((i) => ({
    instructor_id: i.id,
    instructor: { id: i.id, first_name: 'Ada', last_initial: 'L' },
    rating: { average: 4.8, count: 12 },
    best_match: {
      service_id: `svc-${i.id}`,
      service_catalog_id: i.catalogId,
      name: i.service,
      min_hourly_rate: i.rate,
      format_prices: [{ format: 'online', hourly_rate: i.rate }],
      relevance_score: 0.9,
    },
    other_matches: [],
    relevance_score: 0.9,
  }));
  return {
    results,
    meta: {
      query: q,
      parsed: {
        service_query: service ? service[0].toLowerCase() : null,
        max_price: maxPrice,
        location: null,
      },
      total_results: results.length,
      limit,
      latency_ms: 3,
      cache_hit: false,
      soft_filtering_used: soft,
      soft_filter_message: soft ? 'Relaxed price to find more results' : null,
      filters_applied: [],
    },
  };
}

/** Renames object keys at every depth. */
function renameKeys(value: unknown, names: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, names));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [names[key] ?? key, renameKeys(inner, names)]),
  );
}

/** Starts the fake on a free loopback port. */
export async function startFakeSearchServer(
  mode: FakeSearchMode = 'service',
  options: FakeSearchOptions = {},
): Promise<FakeSearchServer> {
  const searchPath = options.searchPath ?? '/api/v1/search';
  const queryParam = options.queryParam ?? 'q';
  const limitParam = options.limitParam ?? 'limit';
  const requests: FakeSearchServer['requests'] = [];
  let limited = false;
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'healthy' }));
      return;
    }
    if (url.pathname !== searchPath) {
      res
        .writeHead(404, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ status: 404, title: 'Not Found' }));
      return;
    }
    const q = url.searchParams.get(queryParam) ?? '';
    if (mode === 'error' && q.includes('piano')) {
      res
        .writeHead(500, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ status: 500, title: 'Internal Server Error', code: 'INTERNAL' }));
      return;
    }
    if (mode === 'rate-limit-once' && q === 'piano under $80' && !limited) {
      limited = true;
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
        .end(JSON.stringify({ detail: 'Too many requests', code: 'RATE_LIMIT_EXCEEDED', retry_after: 1 }));
      return;
    }
    const body = answerSearch(q, Number(url.searchParams.get(limitParam) ?? 20), mode);
    const renamed = options.renameFields ? renameKeys(body, options.renameFields) : body;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(renamed));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
