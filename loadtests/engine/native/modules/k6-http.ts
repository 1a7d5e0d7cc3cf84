/** The `k6/http` module of the native engine: asynchronous requests with k6's params, response, metrics and tags. */
import { PreflightError } from '../../../../src/core/errors.js';
import { sendRequest } from '../../http/client.js';
import type { RawResponse } from '../../http/exchange.js';
import { findRawHeader, parseRawHeaders } from '../../http/parser.js';
import type { Tags } from '../../metrics/registry.js';
import { parseDuration } from '../../scenario/duration.js';
import type { EngineContext } from '../context.js';
import type { VuState } from '../vu-state.js';

interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  responseType?: 'text' | 'binary' | 'none';
  redirects?: number;
  responseCallback?: ExpectedStatuses;
  cookies?: Record<string, string | { value: string }>;
  jar?: unknown;
}

interface ExpectedStatuses {
  __expected: Array<number | { min: number; max: number }>;
}

const defaultExpected: ExpectedStatuses = { __expected: [{ min: 200, max: 399 }] };

function isExpected(status: number, expected: ExpectedStatuses): boolean {
  return expected.__expected.some((e) =>
    typeof e === 'number' ? e === status : status >= e.min && status <= e.max,
  );
}

/** Portable replacements named in errors for k6's synchronous API. */
export const syncHttpFunctions = [
  'get',
  'post',
  'put',
  'patch',
  'del',
  'head',
  'options',
  'request',
  'batch',
];

export function describeSyncHttp(name: string): string {
  if (name === 'batch')
    return 'http.batch() is synchronous; use `await Promise.all([http.asyncRequest(...), ...])`';
  if (name === 'request')
    return 'http.request() is synchronous; use `await http.asyncRequest(method, url, body, params)`';
  const method = name === 'del' ? 'DELETE' : name.toUpperCase();
  return `http.${name}() is synchronous; use \`await http.asyncRequest('${method}', url, body, params)\``;
}

function encodeBody(body: unknown, headers: Record<string, string>): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'object') {
    // k6 form-encodes objects.
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    return Buffer.from(new URLSearchParams(body as Record<string, string>).toString());
  }
  return Buffer.from(String(body));
}

function lookupJson(value: unknown, selector: string): unknown {
  let current: unknown = value;
  for (const part of selector.split('.').filter(Boolean)) {
    if (current === null || current === undefined) return undefined;
    const m = /^(.*?)(?:\.?#)?$/.exec(part);
    current = (current as Record<string, unknown>)[m?.[1] ?? part];
  }
  return current;
}

function storeCookies(vu: VuState, url: URL, setCookie: string | string[] | undefined): void {
  if (!setCookie) return;
  let jar = vu.cookies.get(url.hostname);
  if (!jar) {
    jar = new Map();
    vu.cookies.set(url.hostname, jar);
  }
  for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    const [pair, ...attrs] = line.split(';');
    const idx = pair?.indexOf('=') ?? -1;
    if (!pair || idx <= 0) continue;
    const name = pair.slice(0, idx).trim();
    const value = pair.slice(idx + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

function cookieHeader(vu: VuState, url: URL, extra: Params['cookies']): string | undefined {
  const jar = vu.cookies.get(url.hostname);
  const pairs: string[] = [];
  if (jar) for (const [k, v] of jar) if (!(extra && k in extra)) pairs.push(`${k}=${v}`);
  for (const [k, v] of Object.entries(extra ?? {})) pairs.push(`${k}=${typeof v === 'string' ? v : v.value}`);
  return pairs.length ? pairs.join('; ') : undefined;
}

const parsedUrls = new Map<string, URL>();

/** Parses a request URL; scripts request the same few URLs over and over, so parsed ones are kept (never mutated). */
function parseUrl(text: string): URL {
  let url = parsedUrls.get(text);
  if (!url) {
    url = new URL(text);
    if (parsedUrls.size >= 1000) parsedUrls.clear();
    parsedUrls.set(text, url);
  }
  return url;
}

/** Builds the `k6/http` module for one VU. */
export function createHttpModule(engine: EngineContext, vu: VuState) {
  const m = engine.metrics;
  let expectedDefault = defaultExpected;
  const setAbort = (abort: ((error?: Error) => void) | undefined) => {
    vu.currentAbort = abort;
  };

  const record = (raw: RawResponse, getTags: () => Tags, failed: boolean) => {
    const reg = engine.registry;
    const t = raw.timings;
    reg.addLazy(m.http_reqs, 1, getTags);
    reg.addLazy(m.http_req_duration, t.duration, getTags);
    reg.addLazy(m.http_req_blocked, t.blocked, getTags);
    reg.addLazy(m.http_req_connecting, t.connecting, getTags);
    reg.addLazy(m.http_req_tls_handshaking, t.tls_handshaking, getTags);
    reg.addLazy(m.http_req_sending, t.sending, getTags);
    reg.addLazy(m.http_req_waiting, t.waiting, getTags);
    reg.addLazy(m.http_req_receiving, t.receiving, getTags);
    reg.addLazy(m.http_req_failed, failed ? 1 : 0, getTags);
    reg.addLazy(m.data_sent, raw.bytesSent, getTags);
    reg.addLazy(m.data_received, raw.bytesReceived, getTags);
    if (vu.intendedStartMs !== undefined) {
      reg.addLazy(m.http_req_duration_corrected, t.duration + vu.startDelayMs, getTags);
    }
    engine.series.recordRequest(t.duration, failed);
  };

  async function asyncRequest(
    method: string,
    url: string | URL | { url: string; name: string },
    body?: unknown,
    params: Params = {},
  ) {
    if (engine.aborted || vu.hardStopped) throw new AbortedError();
    let nameTag: string | undefined;
    let target: URL;
    if (typeof url === 'object' && url !== null && 'url' in url && 'name' in url) {
      nameTag = url.name;
      target = parseUrl(url.url);
    } else target = parseUrl(String(url));
    const upper = method.toUpperCase();
    const headers: Record<string, string> = { 'User-Agent': 'preflight-native (k6 compatible)' };
    for (const [k, v] of Object.entries(params.headers ?? {})) headers[k] = String(v);
    const encoded = encodeBody(body, headers);
    const timeoutMs =
      params.timeout === undefined ? 60_000 : parseDuration(params.timeout as string, 'params.timeout');
    const maxRedirects = params.redirects ?? (engine.options.maxRedirects as number | undefined) ?? 10;
    const expected = params.responseCallback ?? expectedDefault;

    let current = target;
    let currentMethod = upper;
    let currentBody = encoded;
    for (let hop = 0; ; hop++) {
      engine.guardUrl(current);
      const cookie = cookieHeader(vu, current, params.cookies);
      const reqHeaders = cookie ? { ...headers, Cookie: cookie } : headers;
      const raw = await sendRequest({
        method: currentMethod,
        url: current,
        headers: reqHeaders,
        body: currentBody,
        timeoutMs,
        insecureSkipTLSVerify: engine.options.insecureSkipTLSVerify === true,
        onAbortHandle: setAbort,
      });
      const ok = raw.status !== 0 && isExpected(raw.status, expected);
      const requestUrl = current;
      const requestMethod = currentMethod;
      let tags: Tags | undefined;
      const getTags = (): Tags => {
        if (tags) return tags;
        tags = {
          ...vu.tags,
          ...params.tags,
          name: params.tags?.name ?? nameTag ?? requestUrl.href,
          method: requestMethod,
          status: String(raw.status),
          url: requestUrl.href,
          expected_response: String(ok),
          proto: raw.status ? 'HTTP/1.1' : '',
        };
        if (raw.error) tags.error_code = String(raw.errorCode);
        return tags;
      };
      record(raw, getTags, !ok);
      const setCookie = findRawHeader(raw.rawHeaders, 'set-cookie');
      if (setCookie.length) storeCookies(vu, current, setCookie);
      const location =
        raw.status >= 300 && raw.status < 400 ? findRawHeader(raw.rawHeaders, 'location')[0] : undefined;
      if (location !== undefined && hop < maxRedirects) {
        current = new URL(location, current);
        if (raw.status === 303 || ((raw.status === 301 || raw.status === 302) && currentMethod === 'POST')) {
          currentMethod = 'GET';
          currentBody = undefined;
        }
        continue;
      }
      return new K6Response(raw, current, currentMethod, reqHeaders, currentBody, params.responseType);
    }
  }

  const module = {
    asyncRequest,
    expectedStatuses(...statuses: Array<number | { min: number; max: number }>): ExpectedStatuses {
      return { __expected: statuses };
    },
    setResponseCallback(callback: ExpectedStatuses | null) {
      expectedDefault = callback ?? { __expected: [] };
    },
    url(strings: TemplateStringsArray, ...values: unknown[]) {
      const name = strings.reduce((acc, s, i) => acc + s + (i < values.length ? '\u0024{}' : ''), '');
      const url = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
      return { url, name };
    },
    OCSP_STATUS_GOOD: 'good',
  } as Record<string, unknown>;
  for (const name of syncHttpFunctions) {
    module[name] = () => {
      throw new PreflightError(
        'E_UNSUPPORTED_API',
        `The native engine does not support ${describeSyncHttp(name)}`,
        {
          hint: 'rewrite the call in the portable form, or run with --engine k6',
        },
      );
    };
  }
  module.default = module;
  module.__esModule = true;
  return module;
}

/** Thrown into a VU when the test was aborted, so its iteration ends quietly. */
export class AbortedError extends Error {
  constructor() {
    super('test aborted');
    this.name = 'AbortedError';
  }
}

/** k6's Response: plain fields, with the body text, headers, cookies and JSON worked out only when read. */
class K6Response {
  readonly status: number;
  readonly status_text: string;
  readonly timings: RawResponse['timings'];
  readonly url: string;
  readonly proto: string;
  readonly error: string;
  readonly error_code: number;
  readonly remote_ip: string;
  readonly remote_port: number;
  #text: string | null | undefined;
  #binary: ArrayBuffer | undefined;
  #parsed: { value: unknown } | undefined;
  #headers: Record<string, string> | undefined;
  #cookies: Record<string, Array<{ name: string; value: string }>> | undefined;
  #request: Record<string, unknown> | undefined;
  // what the getters work from: private fields, so a script sees only k6's response fields
  readonly #raw: RawResponse;
  readonly #method: string;
  readonly #requestHeaders: Record<string, string>;
  readonly #requestBody: Buffer | undefined;
  readonly #responseType: Params['responseType'];

  constructor(
    raw: RawResponse,
    target: URL,
    method: string,
    requestHeaders: Record<string, string>,
    requestBody: Buffer | undefined,
    responseType: Params['responseType'],
  ) {
    this.#raw = raw;
    this.#method = method;
    this.#requestHeaders = requestHeaders;
    this.#requestBody = requestBody;
    this.#responseType = responseType;
    this.status = raw.status;
    this.status_text = raw.status ? `${raw.status} ${raw.statusText}` : '';
    this.timings = raw.timings;
    this.url = target.href;
    this.proto = raw.status ? 'HTTP/1.1' : '';
    this.error = raw.error;
    this.error_code = raw.errorCode;
    this.remote_ip = target.hostname;
    this.remote_port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  }

  #getText(): string | null {
    if (this.#text === undefined)
      this.#text =
        this.#responseType === 'none' || this.#responseType === 'binary'
          ? null
          : this.#raw.body.toString('utf8');
    return this.#text;
  }

  get body(): string | ArrayBuffer | null {
    if (this.#responseType !== 'binary') return this.#getText();
    const body = this.#raw.body;
    this.#binary ??= body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    return this.#binary;
  }

  get headers(): Record<string, string> {
    this.#headers ??= parseRawHeaders(this.#raw.rawHeaders);
    return this.#headers;
  }

  get cookies(): Record<string, Array<{ name: string; value: string }>> {
    if (!this.#cookies) {
      const cookies: Record<string, Array<{ name: string; value: string }>> = {};
      for (const line of findRawHeader(this.#raw.rawHeaders, 'set-cookie')) {
        const pair = line.split(';')[0] ?? '';
        const idx = pair.indexOf('=');
        if (idx > 0)
          cookies[pair.slice(0, idx).trim()] = [
            { name: pair.slice(0, idx).trim(), value: pair.slice(idx + 1).trim() },
          ];
      }
      this.#cookies = cookies;
    }
    return this.#cookies;
  }

  get request(): Record<string, unknown> {
    this.#request ??= {
      method: this.#method,
      url: this.url,
      headers: this.#requestHeaders,
      body: this.#requestBody ? this.#requestBody.toString('utf8') : '',
      cookies: {},
    };
    return this.#request;
  }

  json(selector?: string): unknown {
    if (!this.#parsed) {
      try {
        this.#parsed = { value: JSON.parse(this.#getText() ?? '') };
      } catch (error) {
        throw new Error(
          `cannot parse json due to an error at line 1, character 1 , error: ${(error as Error).message}`,
        );
      }
    }
    return selector ? lookupJson(this.#parsed.value, selector) : this.#parsed.value;
  }

  html(): never {
    throw new PreflightError('E_UNSUPPORTED_API', 'The native engine does not support response.html()', {
      hint: 'parse the body yourself, or run with --engine k6',
    });
  }

  /** What `JSON.stringify(res)` shows in a script: every field, as k6 prints a response. */
  toJSON(): Record<string, unknown> {
    return {
      status: this.status,
      status_text: this.status_text,
      body: this.body,
      headers: this.headers,
      cookies: this.cookies,
      timings: this.timings,
      url: this.url,
      proto: this.proto,
      error: this.error,
      error_code: this.error_code,
      remote_ip: this.remote_ip,
      remote_port: this.remote_port,
      request: this.request,
    };
  }
}
