/**
 * The scanner's HTTP layer on top of core's `sendRequest` (host guard, Origin, bypass, token): a request budget, a
 * concurrency limit, resends after transient socket errors, and the request evidence reports show.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sendRequest, type TargetRequest, type TargetResponse } from '../src/core/http.js';
import { assertAllowedUrl, type ResolvedTarget } from '../src/core/target.js';

/** Core's request fields (body, headers, token, Origin, bypass: rate-limit probes turn it off), with paths for a URL. */
export interface ProbeRequest
  extends Pick<TargetRequest, 'json' | 'form' | 'body' | 'headers' | 'token' | 'origin' | 'bypass'> {
  method?: string;
  /** Path under the API prefix ("/auth/me"). */
  path?: string;
  /** Path under the base URL, outside the API prefix ("/.env"). */
  rootPath?: string;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
  /**
   * Resend after a transient socket error (default true). Off for a request that must never be made twice
   * (creating a booking): the server may have acted on it before the connection broke.
   */
  retry?: boolean;
}

/** Core's response with the path relative to the base URL, for reports. */
export interface ProbeResponse extends TargetResponse {
  path: string;
}

export class BudgetExceededError extends Error {
  constructor(budget: number) {
    super(`request budget of ${budget} exhausted`);
    this.name = 'BudgetExceededError';
  }
}

export interface ScanHttpOptions {
  budget: number;
  concurrency: number;
  timeoutMs?: number;
  /** Resends after a transient socket error (ECONNRESET, EPIPE, socket hang up); default 2. */
  retries?: number;
  /** First backoff before a resend, doubled each time; default 200 ms. */
  retryDelayMs?: number;
}

/** Socket errors that one resend usually cures: the peer reset or closed the connection mid-exchange. */
const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The innermost code or message of a socket error ("ECONNRESET", "other side closed"). */
export function describeSocketError(error: unknown): string {
  let found = 'socket error';
  for (
    let e = error as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    found = e.code ?? e.message ?? found;
    e = e.cause as typeof e;
  }
  return found;
}

/** True for an error of fetch (or its cause) that is a transient socket failure, not a dead target. */
export function isTransientSocketError(error: unknown): boolean {
  for (
    let e = error as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (e.code && transientCodes.has(e.code)) return true;
    if (/socket hang up|other side closed|ECONNRESET|EPIPE/i.test(e.message ?? '')) return true;
    e = e.cause as typeof e;
  }
  return false;
}

export class ScanHttp {
  readonly target: ResolvedTarget;
  readonly budget: number;
  readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  /** Budget and concurrency are shared by every fork of one scan. */
  private readonly shared: {
    sent: number;
    active: number;
    waiting: Array<() => void>;
    resent: number;
    transientErrors: string[];
  };
  private own = 0;

  constructor(target: ResolvedTarget, options: ScanHttpOptions, shared?: ScanHttp['shared']) {
    this.target = target;
    this.budget = options.budget;
    this.concurrency = Math.max(1, options.concurrency);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.shared = shared ?? { sent: 0, active: 0, waiting: [], resent: 0, transientErrors: [] };
  }

  /** A view with its own request count (one per probe) on the same budget and concurrency limit. */
  fork(): ScanHttp {
    return new ScanHttp(
      this.target,
      {
        budget: this.budget,
        concurrency: this.concurrency,
        timeoutMs: this.timeoutMs,
        retries: this.retries,
        retryDelayMs: this.retryDelayMs,
      },
      this.shared,
    );
  }

  /** Requests of the whole scan. */
  get requestCount(): number {
    return this.shared.sent;
  }

  /** Requests sent through this view. */
  get ownRequestCount(): number {
    return this.own;
  }

  /** Requests resent after a transient socket error (not charged to the budget). */
  get resentCount(): number {
    return this.shared.resent;
  }

  /** The transient socket errors seen (method, URL path, error code). */
  get transientErrors(): string[] {
    return [...this.shared.transientErrors];
  }

  get remaining(): number {
    return this.budget - this.shared.sent;
  }

  buildUrl(request: ProbeRequest): string {
    const base = request.rootPath !== undefined ? this.target.baseUrl : this.target.apiBase;
    const path = request.rootPath ?? request.path ?? '/';
    const url = new URL(`${base}${path.startsWith('/') ? '' : '/'}${path}`);
    for (const [k, v] of Object.entries(request.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Host guard and budget for traffic that is not an HTTP request (a TLS handshake). */
  reserve(url: string): void {
    assertAllowedUrl(this.target, url);
    if (this.shared.sent >= this.budget) throw new BudgetExceededError(this.budget);
    this.shared.sent++;
    this.own++;
  }

  async send(request: ProbeRequest): Promise<ProbeResponse> {
    const url = this.buildUrl(request);
    this.reserve(url);
    await this.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.fetchOnce(url, request);
        } catch (error) {
          if (!isTransientSocketError(error)) throw error;
          const method = (request.method ?? 'GET').toUpperCase();
          // the first 50 are listed; a target that resets more than that is named by the unreachable error anyway
          if (this.shared.transientErrors.length < 50)
            this.shared.transientErrors.push(
              `${method} ${new URL(url).pathname}: ${describeSocketError(error)}${request.retry === false ? ' (not resent: it must not be made twice)' : attempt < this.retries ? ' (resent)' : ' (gave up)'}`,
            );
          if (request.retry === false || attempt >= this.retries) throw error;
          this.shared.resent++;
          await sleep(this.retryDelayMs * 2 ** attempt);
        }
      }
    } finally {
      this.release();
    }
  }

  /** One attempt through core's target HTTP layer (host guard, Origin, bypass, token); a timeout is status 0. */
  private async fetchOnce(url: string, request: ProbeRequest): Promise<ProbeResponse> {
    const response = await sendRequest(this.target, {
      method: request.method ?? 'GET',
      url,
      json: request.json,
      form: request.form,
      body: request.body,
      headers: request.headers,
      token: request.token,
      origin: request.origin,
      bypass: request.bypass,
      timeoutMs: request.timeoutMs ?? this.timeoutMs,
      timeoutAsStatus0: true,
    });
    return { ...response, path: getRelativePath(this.target, url) };
  }

  private async acquire(): Promise<void> {
    if (this.shared.active < this.concurrency) {
      this.shared.active++;
      return;
    }
    await new Promise<void>((resolve) => this.shared.waiting.push(resolve));
  }

  private release(): void {
    const next = this.shared.waiting.shift();
    if (next) next();
    else this.shared.active--;
  }
}

/** The URL's path and query relative to the base URL ("api/v1/auth/me"), as SARIF wants relative URIs. */
export function getRelativePath(target: ResolvedTarget, url: string): string {
  const parsed = new URL(url);
  const basePath = new URL(target.baseUrl).pathname.replace(/\/+$/, '');
  const path = parsed.pathname.startsWith(basePath)
    ? parsed.pathname.slice(basePath.length)
    : parsed.pathname;
  return path || '/';
}

/** Runs `fn` over items with at most `limit` in flight (the ScanHttp semaphore bounds requests anyway). */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}
