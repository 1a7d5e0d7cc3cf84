/** `preflight search-check` as plain async functions: run the golden queries against a target and judge them. */
import { ExitCode, PreflightError } from '../core/errors.js';
import { ApiClient, type ApiResponse } from '../core/http.js';
import { fillRoutePath } from '../core/platform/defaults.js';
import type { ResolvedTarget } from '../core/target.js';
import { defaultGoldenPath, type GoldenQuery, loadGoldenSet } from './golden.js';
import { judgeSearchResponse } from './judge.js';
import { buildReport, type SearchCheckReport, type SearchCheckThresholds } from './report.js';
import { readSearchResponse, type SearchMatch, type SearchResponse } from './response.js';

export interface SearchCheckOptions {
  /** Golden query file (default: the set kept in the repo). */
  queriesFile?: string;
  /** Override the target's `searchCheck.minPrecision`. */
  minPrecision?: number;
  /** Override the target's `searchCheck.maxZeroResultRate`. */
  maxZeroResultRate?: number;
  /** `limit` sent with every query (1 to the profile's search.maxLimit, default 20). */
  limit?: number;
  /** Queries in flight at once (default 4). */
  concurrency?: number;
  /** Retries of a query answered 429, after its Retry-After (default 2). */
  rateLimitRetries?: number;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (message: string) => void;
}

interface Answer {
  query: GoldenQuery;
  response: SearchResponse | null;
  error: string | null;
  latencyMs: number | null;
}

/** Runs every golden query against the target's search API and returns the judged report (throws E_TARGET_UNREACHABLE, E_CONFIG). */
export async function runSearchCheck(
  target: ResolvedTarget,
  options: SearchCheckOptions = {},
): Promise<SearchCheckReport> {
  const thresholds = resolveThresholds(target, options);
  const { maxLimit } = target.platform.search;
  const limit = options.limit ?? Math.min(20, maxLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    throw new PreflightError(
      'E_USAGE',
      `Expected \`limit\` to be an integer from 1 to ${maxLimit}, got \`${limit}\``,
    );
  }
  const golden = loadGoldenSet(options.queriesFile ?? defaultGoldenPath);
  const client = new ApiClient(target);
  const ask = createSearchRequest(client, target, limit);
  options.onProgress?.(
    `search-check: ${golden.queries.length} golden queries against ${client.url(fillRoutePath(target.platform.routes.search.path))}`,
  );
  const answers = await mapWithConcurrency(golden.queries, options.concurrency ?? 4, (query) =>
    askQuery(ask, target, query, options),
  );
  const catalogNames = collectCatalogNames(answers);
  const entries = answers.map((a) => ({
    judgement: judgeSearchResponse(
      a.query,
      a.response ?? { results: [], softFilteringUsed: false, parsed: null },
      { catalog: golden.catalog, catalogNames, fields: target.platform.search },
    ),
    error: a.error,
    latencyMs: a.latencyMs,
  }));
  return buildReport(entries, thresholds, { target: target.name, goldenFile: golden.source });
}

/** Runs the check and maps the verdict to an exit code (0 pass, 1 below thresholds). */
export async function searchCheck(
  options: SearchCheckOptions & { target: ResolvedTarget },
): Promise<{ report: SearchCheckReport; exitCode: number }> {
  const report = await runSearchCheck(options.target, options);
  return { report, exitCode: report.ok ? ExitCode.ok : ExitCode.checkFailed };
}

function resolveThresholds(target: ResolvedTarget, options: SearchCheckOptions): SearchCheckThresholds {
  const thresholds = {
    minPrecision: options.minPrecision ?? target.searchCheck.minPrecision,
    maxZeroResultRate: options.maxZeroResultRate ?? target.searchCheck.maxZeroResultRate,
  };
  for (const [name, flag] of [
    ['minPrecision', '--min-precision'],
    ['maxZeroResultRate', '--max-zero-result-rate'],
  ] as const) {
    const value = thresholds[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new PreflightError(
        'E_USAGE',
        `Expected \`${flag}\` to be a number from 0 to 1, got \`${value}\``,
        {
          hint: 'a ratio, e.g. 0.95 for 95%',
        },
      );
    }
  }
  return thresholds;
}

/** The search route of the target's profile, asked with its query and limit parameters. */
function createSearchRequest(
  client: ApiClient,
  target: ResolvedTarget,
  limit: number,
): (q: string) => Promise<ApiResponse> {
  const route = target.platform.routes.search;
  const { queryParam, limitParam } = target.platform.search;
  const path = fillRoutePath(route.path);
  return (q) => client.request(route.method, path, { query: { [queryParam]: q, [limitParam]: limit } });
}

async function askQuery(
  ask: (q: string) => Promise<ApiResponse>,
  target: ResolvedTarget,
  query: GoldenQuery,
  options: SearchCheckOptions,
): Promise<Answer> {
  let response = await ask(query.q);
  for (let attempt = 0; response.status === 429 && attempt < (options.rateLimitRetries ?? 2); attempt++) {
    const waitMs = readRetryAfterMs(response, target.platform.rateLimit.retryAfterHeader);
    options.onProgress?.(
      `search-check: rate limited on "${query.q}", retrying in ${Math.ceil(waitMs / 1000)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    response = await ask(query.q);
  }
  if (response.status !== 200)
    return { query, response: null, error: describeHttpError(response), latencyMs: response.durationMs };
  let body: unknown;
  try {
    body = response.json();
  } catch {
    return {
      query,
      response: null,
      error: 'HTTP 200 but the body is not JSON',
      latencyMs: response.durationMs,
    };
  }
  const read = readSearchResponse(body, target.platform.search);
  if (!read.ok)
    return {
      query,
      response: null,
      error: `not a search response: ${read.problem}`,
      latencyMs: response.durationMs,
    };
  return { query, response: read.response, error: null, latencyMs: response.durationMs };
}

/** Retry-After in ms (seconds or an HTTP date), 1 s when absent, at most 30 s. */
function readRetryAfterMs(response: ApiResponse, headerName: string): number {
  const header = response.headers.get(headerName);
  const seconds =
    header === null
      ? Number.NaN
      : /^\d+$/.test(header.trim())
        ? Number(header)
        : (Date.parse(header) - Date.now()) / 1000;
  return Math.min(30_000, Math.max(100, Number.isFinite(seconds) ? seconds * 1000 : 1000));
}

function describeHttpError(response: ApiResponse): string {
  let detail = '';
  try {
    const body = response.json<{ code?: string; detail?: unknown; title?: string }>();
    detail = [body.code, typeof body.detail === 'string' ? body.detail : body.title]
      .filter(Boolean)
      .join(': ');
  } catch {
    detail = response.text.slice(0, 120);
  }
  return `HTTP ${response.status}${detail ? ` (${detail})` : ''}`;
}

/** Catalog id -> name from every match that carries both (resolves results that carry only the id). */
function collectCatalogNames(answers: Answer[]): Map<string, string> {
  const names = new Map<string, string>();
  const add = (m: SearchMatch | null) => {
    if (m?.catalogId && m.name) names.set(m.catalogId, m.name);
  };
  for (const a of answers) {
    for (const r of a.response?.results ?? []) {
      add(r.bestMatch);
      for (const m of r.otherMatches) add(m);
    }
  }
  return names;
}

async function mapWithConcurrency<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
