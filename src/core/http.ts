/**
 * The ONE HTTP layer for talking to a target: host guard, Origin, bypass header, auth token, login, clear unreachable
 * errors. `sendRequest` is the single request to a target (the scanner's ScanHttp adds its budget and retries on top
 * of it); `ApiClient` adds paths under the API prefix and login.
 */
import { PreflightError } from './errors.js';
import { type AccountRole, assertAllowedUrl, type ResolvedTarget } from './target.js';

export interface TargetRequest {
  method: string;
  /** Absolute URL; checked against the target's allowed hosts before anything is sent. */
  url: string;
  json?: unknown;
  form?: Record<string, string>;
  /** A raw body (when neither json nor form is given). */
  body?: string;
  /** Extra headers; they win over the ones set here (names are lower-cased). */
  headers?: Record<string, string>;
  /** Access token, sent as bearer or cookie per the target's auth style. */
  token?: string;
  /** Origin header: the target's origin by default (CSRF checks need it), a given value, or none (null). */
  origin?: string | null;
  /** Send the target's rate-limit bypass header (default true). */
  bypass?: boolean;
  timeoutMs: number;
  /** A timeout is a response with status 0 (data for time-based probes) instead of E_TARGET_UNREACHABLE. */
  timeoutAsStatus0?: boolean;
}

export interface TargetResponse {
  method: string;
  url: string;
  /** 0 when the request timed out (with `timeoutAsStatus0`). */
  status: number;
  headers: Headers;
  text: string;
  durationMs: number;
  /** The headers sent, lower-cased, without the bypass header (its value is a secret): evidence for reports. */
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  json<T = unknown>(): T;
}

/**
 * Sends one request to a target: host guard, Origin, bypass header, token, no redirects followed, a timeout. A network
 * failure is E_TARGET_UNREACHABLE with the fetch error as `cause` (callers may look at it, e.g. to resend after a reset).
 */
export async function sendRequest(target: ResolvedTarget, request: TargetRequest): Promise<TargetResponse> {
  const { url } = request;
  const method = request.method.toUpperCase();
  assertAllowedUrl(target, url);
  const headers: Record<string, string> = { accept: 'application/json' };
  const origin = request.origin === undefined ? target.origin : request.origin;
  if (origin) headers.origin = origin;
  const bypassHeader = target.rateLimitBypass?.header.toLowerCase();
  if (request.bypass !== false && target.rateLimitBypass && bypassHeader)
    headers[bypassHeader] = target.rateLimitBypass.token;
  let body = request.body;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  }
  if (request.token !== undefined) {
    if (target.auth.style === 'cookie') headers.cookie = `${target.auth.cookieName}=${request.token}`;
    else headers.authorization = `Bearer ${request.token}`;
  }
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
  const requestHeaders = { ...headers };
  if (bypassHeader) delete requestHeaders[bypassHeader];
  const started = performance.now();
  let status: number;
  let responseHeaders: Headers;
  let text: string;
  try {
    const response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    text = await response.text();
    status = response.status;
    responseHeaders = response.headers;
  } catch (error) {
    if (!request.timeoutAsStatus0 || (error as Error).name !== 'TimeoutError')
      throw unreachable(target, url, error);
    status = 0;
    responseHeaders = new Headers();
    text = '';
  }
  const durationMs = performance.now() - started;
  return {
    method,
    url,
    status,
    headers: responseHeaders,
    text,
    durationMs,
    requestHeaders,
    requestBody: body,
    json<T>() {
      if (status === 0) throw new PreflightError('E_CHECK_FAILED', `no body: ${method} ${url} timed out`);
      return JSON.parse(text) as T;
    },
  };
}

export interface ApiRequest {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Access token to send (as bearer or cookie, per the target's auth style). */
  token?: string;
  timeoutMs?: number;
  /** Skip the rate-limit bypass header for this request. */
  noBypass?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  durationMs: number;
  url: string;
  json<T = unknown>(): T;
}

export interface ApiClientOptions {
  timeoutMs?: number;
}

export class ApiClient {
  readonly target: ResolvedTarget;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<AccountRole, string>();

  constructor(target: ResolvedTarget, options: ApiClientOptions = {}) {
    this.target = target;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Builds an absolute URL for an API path ("/search") or a root path ("//health" is not used: pass absolute URLs as is). */
  url(path: string, query?: ApiRequest['query']): string {
    const base = /^https?:\/\//.test(path)
      ? path
      : `${this.target.apiBase}${path.startsWith('/') ? '' : '/'}${path}`;
    const url = new URL(base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request(method: string, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
    return sendRequest(this.target, {
      method,
      url: this.url(path, request.query),
      json: request.json,
      form: request.form,
      headers: request.headers,
      token: request.token || undefined,
      bypass: !request.noBypass,
      timeoutMs: request.timeoutMs ?? this.timeoutMs,
    });
  }

  /** Logs in as a configured test account and returns its access token (cached). */
  async login(role: AccountRole): Promise<string> {
    const cached = this.tokens.get(role);
    if (cached) return cached;
    const account = this.target.accounts[role];
    if (!account) {
      throw new PreflightError('E_CONFIG', `Target "${this.target.name}" has no ${role} test account`, {
        hint: `add targets.${this.target.name}.accounts.${role} (email + passwordEnv) to preflight.yaml`,
      });
    }
    if (!account.password) {
      throw new PreflightError('E_CONFIG', `The password of the ${role} test account is not set`, {
        hint: `export ${account.passwordEnv ?? 'the variable named by passwordEnv'}`,
      });
    }
    const { response, token } = await this.loginWith(account.email, account.password);
    if (response.status >= 400 || !token) {
      throw new PreflightError(
        'E_CHECK_FAILED',
        `Login as ${role} (${account.email}) failed with HTTP ${response.status}`,
        {
          hint: 'check the account exists on the target and its password variable is right',
        },
      );
    }
    this.tokens.set(role, token);
    return token;
  }

  /** Logs in with an email and password through the platform's login route; the token is undefined on failure. */
  async loginWith(
    email: string,
    password: string,
  ): Promise<{ response: ApiResponse; token: string | undefined }> {
    const { routes, auth } = this.target.platform;
    const response = await this.request(routes.login.method, routes.login.path, {
      form: { [auth.usernameField]: email, [auth.passwordField]: password },
    });
    const token =
      response.status < 400 ? extractAccessToken(response, this.target.auth.cookieName) : undefined;
    return { response, token };
  }
}

/** Reads the access token from the auth cookie, or from an `access_token` field of the body. */
export function extractAccessToken(response: ApiResponse, cookieName = 'sid'): string | undefined {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair && eq > 0 && pair.slice(0, eq).trim() === cookieName)
      return decodeURIComponent(pair.slice(eq + 1).trim());
  }
  try {
    const body = response.json<{ access_token?: string }>();
    return body.access_token;
  } catch {
    return undefined;
  }
}

/** Maps a network failure to E_TARGET_UNREACHABLE with what was tried. */
export function unreachable(target: ResolvedTarget, url: string, error: unknown): PreflightError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    (error as Error).name === 'TimeoutError'
      ? 'timed out'
      : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new PreflightError(
    'E_TARGET_UNREACHABLE',
    `Target "${target.name}" did not answer at ${new URL(url).origin} (${reason})`,
    {
      hint: target.sandbox
        ? 'is the sandbox running? `preflight sandbox status`'
        : `check targets.${target.name}.baseUrl and your network`,
      cause: error,
    },
  );
}
