/** The `k6/http` module of the native engine: asynchronous requests with k6's params, response, metrics and tags. */
import { PreflightError } from '../../src/errors.js';
import type { EngineContext } from './context.js';
import { parseDuration } from './duration.js';
import { findRawHeader, parseRawHeaders, type RawResponse, sendRequest } from './http-client.js';
import type { Tags } from './metrics.js';
import type { VuState } from './vu-state.js';

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

/** Builds the `k6/http` module for one VU. */
export function createHttpModule(engine: EngineContext, vu: VuState) {
  const m = engine.metrics;
  let expectedDefault = defaultExpected;
  const setAbort = (abort: ((error?: Error) => void) | undefined) => {
    vu.currentAbort = abort;
  };

  const record = (raw: RawResponse, tags: Tags, failed: boolean) => {
    const reg = engine.registry;
    reg.add(m.http_reqs, 1, tags);
    reg.add(m.http_req_duration, raw.timings.duration, tags);
    reg.add(m.http_req_blocked, raw.timings.blocked, tags);
    reg.add(m.http_req_connecting, raw.timings.connecting, tags);
    reg.add(m.http_req_tls_handshaking, 0, tags);
    reg.add(m.http_req_sending, raw.timings.sending, tags);
    reg.add(m.http_req_waiting, raw.timings.waiting, tags);
    reg.add(m.http_req_receiving, raw.timings.receiving, tags);
    reg.add(m.http_req_failed, failed ? 1 : 0, tags);
    reg.add(m.data_sent, raw.bytesSent, tags);
    reg.add(m.data_received, raw.bytesReceived, tags);
    if (vu.intendedStartMs !== undefined) {
      reg.add(m.http_req_duration_corrected, raw.timings.duration + vu.startDelayMs, tags);
    }
    engine.series.recordRequest(raw.timings.duration, failed);
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
      target = new URL(url.url);
    } else target = new URL(String(url));
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
      const reqHeaders = { ...headers };
      const cookie = cookieHeader(vu, current, params.cookies);
      if (cookie) reqHeaders.Cookie = cookie;
      const raw = await sendRequest({
        method: currentMethod,
        url: current,
        headers: reqHeaders,
        body: currentBody,
        timeoutMs,
        onAbortHandle: setAbort,
      });
      const ok = raw.status !== 0 && isExpected(raw.status, expected);
      const tags: Tags = {
        ...vu.tags,
        ...params.tags,
        name: params.tags?.name ?? nameTag ?? current.href,
        method: currentMethod,
        status: String(raw.status),
        url: current.href,
        expected_response: String(ok),
        proto: raw.status ? 'HTTP/1.1' : '',
      };
      if (raw.error) tags.error_code = String(raw.errorCode);
      record(raw, tags, !ok);
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
      return createResponse(raw, current, currentMethod, reqHeaders, currentBody, params.responseType);
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

function createResponse(
  raw: RawResponse,
  url: URL,
  method: string,
  requestHeaders: Record<string, string>,
  body: Buffer | undefined,
  responseType: Params['responseType'],
) {
  const text = responseType === 'none' ? null : responseType === 'binary' ? null : raw.body.toString('utf8');
  let parsed: unknown;
  let parsedOnce = false;
  let headers: Record<string, string> | undefined;
  let cookies: Record<string, Array<{ name: string; value: string }>> | undefined;
  return {
    status: raw.status,
    status_text: raw.status ? `${raw.status} ${raw.statusText}` : '',
    body:
      responseType === 'binary'
        ? raw.body.buffer.slice(raw.body.byteOffset, raw.body.byteOffset + raw.body.byteLength)
        : text,
    get headers() {
      headers ??= parseRawHeaders(raw.rawHeaders);
      return headers;
    },
    get cookies() {
      if (!cookies) {
        cookies = {};
        for (const line of findRawHeader(raw.rawHeaders, 'set-cookie')) {
          const pair = line.split(';')[0] ?? '';
          const idx = pair.indexOf('=');
          if (idx > 0)
            cookies[pair.slice(0, idx).trim()] = [
              { name: pair.slice(0, idx).trim(), value: pair.slice(idx + 1).trim() },
            ];
        }
      }
      return cookies;
    },
    timings: raw.timings,
    url: url.href,
    proto: raw.status ? 'HTTP/1.1' : '',
    error: raw.error,
    error_code: raw.errorCode,
    remote_ip: url.hostname,
    remote_port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    request: {
      method,
      url: url.href,
      headers: requestHeaders,
      body: body ? body.toString('utf8') : '',
      cookies: {},
    },
    json(selector?: string) {
      if (!parsedOnce) {
        parsedOnce = true;
        try {
          parsed = JSON.parse(text ?? '');
        } catch (error) {
          throw new Error(
            `cannot parse json due to an error at line 1, character 1 , error: ${(error as Error).message}`,
          );
        }
      }
      return selector ? lookupJson(parsed, selector) : parsed;
    },
    html() {
      throw new PreflightError('E_UNSUPPORTED_API', 'The native engine does not support response.html()', {
        hint: 'parse the body yourself, or run with --engine k6',
      });
    },
  };
}
