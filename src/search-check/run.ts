/** `preflight search-check` as plain async functions: run the golden queries against a target and judge them. */
import { ExitCode, PreflightError } from '../errors.js';
import { ApiClient, type ApiResponse } from '../http.js';
import type { ResolvedTarget } from '../target.js';
import { defaultGoldenPath, type GoldenQuery, loadGoldenSet } from './golden.js';
import { judgeSearchResponse, type SearchMatch, type SearchResponse } from './judge.js';
import { buildReport, type SearchCheckReport, type SearchCheckThresholds } from './report.js';

export interface SearchCheckOptions {
  /** Golden query file (default: the set kept in the repo). */
  queriesFile?: string;
  /** Override the target's `searchCheck.minPrecision`. */
  minPrecision?: number;
  /** Override the target's `searchCheck.maxZeroResultRate`. */
  maxZeroResultRate?: number;
  /** `limit` sent with every query (1-50, default 20). */
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
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
    throw new PreflightError('E_USAGE', `Expected \`limit\` to be an integer from 1 to 50, got \`${limit}\``);
  }
  const golden = loadGoldenSet(options.queriesFile ?? defaultGoldenPath);
  const client = new ApiClient(target);
  options.onProgress?.(
    `search-check: ${golden.queries.length} golden queries against ${target.apiBase}/search`,
  );
  const answers = await mapWithConcurrency(golden.queries, options.concurrency ?? 4, (query) =>
    askQuery(client, query, limit, options),
  );
  const catalogNames = collectCatalogNames(answers);
  const entries = answers.map((a) => ({
    judgement: judgeSearchResponse(a.query, a.response ?? { results: [] }, {
      catalog: golden.catalog,
      catalogNames,
    }),
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

async function askQuery(
  client: ApiClient,
  query: GoldenQuery,
  limit: number,
  options: SearchCheckOptions,
): Promise<Answer> {
  const ask = () => client.request('GET', '/search', { query: { q: query.q, limit } });
  let response = await ask();
  for (let attempt = 0; response.status === 429 && attempt < (options.rateLimitRetries ?? 2); attempt++) {
    const waitMs = readRetryAfterMs(response);
    options.onProgress?.(
      `search-check: rate limited on "${query.q}", retrying in ${Math.ceil(waitMs / 1000)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    response = await ask();
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
  const shapeProblem = findShapeProblem(body);
  if (shapeProblem)
    return {
      query,
      response: null,
      error: `not a search response: ${shapeProblem}`,
      latencyMs: response.durationMs,
    };
  return { query, response: body as SearchResponse, error: null, latencyMs: response.durationMs };
}

/** Retry-After in ms (seconds or an HTTP date), 1 s when absent, at most 30 s. */
function readRetryAfterMs(response: ApiResponse): number {
  const header = response.headers.get('retry-after');
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

/** Names what keeps a body from being judged, or returns undefined. */
export function findShapeProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'the body is not an object';
  const { results, meta } = body as { results?: unknown; meta?: unknown };
  if (!Array.isArray(results)) return '`results` is not a list';
  if (meta !== undefined && (typeof meta !== 'object' || meta === null)) return '`meta` is not an object';
  const bad = results.findIndex((r) => typeof r !== 'object' || r === null);
  return bad >= 0 ? `results[${bad}] is not an object` : undefined;
}

/** service_catalog_id -> name from every match that carries both (resolves results that carry only the id). */
function collectCatalogNames(answers: Answer[]): Map<string, string> {
  const names = new Map<string, string>();
  const add = (m: SearchMatch | null | undefined) => {
    if (m?.service_catalog_id && m.name) names.set(m.service_catalog_id, m.name);
  };
  for (const a of answers) {
    for (const r of a.response?.results ?? []) {
      add(r.best_match);
      for (const m of r.other_matches ?? []) add(m);
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
