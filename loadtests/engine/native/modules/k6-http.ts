/** The `k6/http` module of the native engine: requests with k6's params, response, metrics and tags (blocking calls in k6-http-blocking.ts). */
import { PreflightError } from '../../../../src/core/errors.js';
import { sendRequest } from '../../http/client.js';
import type { RawResponse } from '../../http/exchange.js';
import { resolveHostOverride } from '../../http/hosts.js';
import { findRawHeader, hasRawHeader } from '../../http/parser.js';
import { releaseSession } from '../../http/pool.js';
import type { Metric, MetricRegistry, Tags } from '../../metrics/registry.js';
import { parseDuration } from '../../scenario/duration.js';
import type { EngineContext } from '../context.js';
import type { VuState } from '../vu-state.js';
import { createFile, encodeBody } from './k6-body.js';
import { CookieJar } from './k6-cookies.js';
import { createDigestAuthorization, type DigestCredentials, parseDigestChallenge } from './k6-digest.js';
import { createBlockingHttp, type SendRequest } from './k6-http-blocking.js';
import { type NtlmHandshake, nextNtlmAuthorization } from './k6-ntlm.js';
import { K6Response, type ResponseType } from './k6-response.js';

interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  responseType?: 'text' | 'binary' | 'none';
  redirects?: number;
  responseCallback?: ExpectedStatuses;
  cookies?: Record<string, string | { value: string; replace?: boolean }>;
  jar?: CookieJar | null;
  auth?: string;
}

interface ExpectedStatuses {
  __expected: Array<number | { min: number; max: number }>;
}

const defaultExpected: ExpectedStatuses = { __expected: [{ min: 200, max: 399 }] };

function isExpected(status: number, expected: ExpectedStatuses): boolean {
  for (const e of expected.__expected)
    if (typeof e === 'number' ? e === status : status >= e.min && status <= e.max) return true;
  return false;
}

/** The URL for tags, as k6's `URL.Clean()`: credentials in it become `****` (they never reach a metric label). */
function cleanUrl(url: URL): string {
  let clean = cleanUrls.get(url);
  if (clean === undefined) {
    clean = url.href;
    if (url.username || url.password) {
      const masked = new URL(url.href);
      masked.username = '****';
      if (url.password) masked.password = '****';
      clean = masked.href;
    }
    cleanUrls.set(url, clean);
  }
  return clean;
}

/** cleanUrl() per URL object: request URLs come from parseUrl()'s cache and are never mutated. */
const cleanUrls = new WeakMap<URL, string>();

function isSameOrSubdomain(host: string, of: string): boolean {
  const h = host.toLowerCase();
  const o = of.toLowerCase();
  return h === o || h.endsWith(`.${o}`);
}

const credentialHeaders = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (!credentialHeaders.has(name.toLowerCase())) out[name] = value;
  return out;
}

function toConnectUrl(url: URL, to: { host: string; port: number }): URL {
  const host = to.host.includes(':') ? `[${to.host}]` : to.host;
  return new URL(`${url.protocol}//${host}:${to.port}/`);
}

/** The Cookie header as k6 builds it: the jar's cookies (but those a `{value, replace: true}` request cookie replaces), then `params.cookies`. */
function mergeCookies(fromJar: string | undefined, extra: Params['cookies']): string | undefined {
  if (!extra || Object.keys(extra).length === 0) return fromJar;
  const replaced = (name: string) => {
    const cookie = extra[name];
    return typeof cookie === 'object' && cookie !== null && cookie.replace === true;
  };
  const pairs = (fromJar ? fromJar.split('; ') : []).filter(
    (pair) => !replaced(pair.slice(0, pair.indexOf('='))),
  );
  for (const [name, value] of Object.entries(extra))
    pairs.push(`${name}=${typeof value === 'string' ? value : value.value}`);
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

/** The credentials of `https://user:pass@host/`, decoded. */
function urlCredentials(url: URL): { username: string; password: string } {
  return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** `url` without its credentials (a copy: request URLs are cached and never mutated). */
function withoutUrlCredentials(url: URL): URL {
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  return bare;
}

/** One request sample: straight into the metric's sink, or through the registry with the request's tags when it needs them. */
function put(reg: MetricRegistry, metric: Metric, tagged: boolean, value: number, getTags: () => Tags): void {
  if (tagged) reg.add(metric, value, getTags());
  else metric.sink.add(value);
}

/** Builds the `k6/http` module for one VU. */
export function createHttpModule(engine: EngineContext, vu: VuState) {
  const m = engine.metrics;
  let expectedDefault = defaultExpected;
  const options = engine.options;
  const hosts = options.hosts as Record<string, string> | undefined;
  const userAgent =
    typeof options.userAgent === 'string' ? options.userAgent : 'preflight-native (k6 compatible)';
  const defaultResponseType: ResponseType = options.discardResponseBodies === true ? 'none' : 'text';
  // k6 gives every iteration a fresh jar (unless options.noCookiesReset)
  const vuJar = new CookieJar();
  let jarIteration = -1;
  const getVuJar = (): CookieJar => {
    if (jarIteration !== vu.iterationInInstance && options.noCookiesReset !== true) {
      if (jarIteration !== -1) vuJar.clearAll();
      jarIteration = vu.iterationInInstance;
    }
    return vuJar;
  };
  // the tags of this VU's last request: tag objects are only read (metrics copy what they keep), so a VU that
  // repeats a request reuses them instead of building nine tags per request
  let lastTags:
    | {
        vuTags: Tags;
        url: URL;
        method: string;
        status: number;
        ok: boolean;
        nameTag: string | undefined;
        tags: Tags;
      }
    | undefined;
  // this VU's NTLM sessions, by origin and credentials, and those a request is using now
  const ntlmSessions = new Map<string, object>();
  const busyNtlmSessions = new Set<object>();
  const ntlmSessionKey = (url: string | URL | { url: string; name: string }): string => {
    const text =
      typeof url === 'object' && url !== null && 'url' in url && 'name' in url ? url.url : String(url);
    const parsed = parseUrl(text);
    return `${parsed.protocol}//${parsed.host} ${parsed.username}:${parsed.password}`;
  };
  const setAbort = (abort: ((error?: Error) => void) | undefined) => {
    vu.currentAbort = abort;
  };

  // the request metrics, and which of them need a request's tags (a sub-metric such as the summary's
  // {expected_response:true}, or series): the others take their sample straight into the sink. Looked at again
  // whenever the registry changes.
  const requestMetrics = [
    m.http_reqs,
    m.http_req_duration,
    m.http_req_blocked,
    m.http_req_connecting,
    m.http_req_tls_handshaking,
    m.http_req_sending,
    m.http_req_waiting,
    m.http_req_receiving,
    m.http_req_failed,
    m.data_sent,
    m.data_received,
    m.http_req_duration_corrected,
  ];
  let checkedVersion = -1;
  let tagged: boolean[] = [];

  const record = (raw: RawResponse, getTags: () => Tags, failed: boolean) => {
    const reg = engine.registry;
    if (reg.version !== checkedVersion) {
      checkedVersion = reg.version;
      tagged = requestMetrics.map((metric) => reg.needsTags(metric));
    }
    const t = raw.timings;
    const all = requestMetrics;
    put(reg, all[0]!, tagged[0]!, 1, getTags);
    put(reg, all[1]!, tagged[1]!, t.duration, getTags);
    put(reg, all[2]!, tagged[2]!, t.blocked, getTags);
    put(reg, all[3]!, tagged[3]!, t.connecting, getTags);
    put(reg, all[4]!, tagged[4]!, t.tls_handshaking, getTags);
    put(reg, all[5]!, tagged[5]!, t.sending, getTags);
    put(reg, all[6]!, tagged[6]!, t.waiting, getTags);
    put(reg, all[7]!, tagged[7]!, t.receiving, getTags);
    put(reg, all[8]!, tagged[8]!, failed ? 1 : 0, getTags);
    put(reg, all[9]!, tagged[9]!, raw.bytesSent, getTags);
    put(reg, all[10]!, tagged[10]!, raw.bytesReceived, getTags);
    if (vu.intendedStartMs !== undefined)
      put(reg, all[11]!, tagged[11]!, t.duration + vu.startDelayMs, getTags);
    engine.series.recordRequest(
      t.duration,
      failed,
      vu.intendedStartMs === undefined ? undefined : t.duration + vu.startDelayMs,
      raw.endedAt,
    );
  };

  async function asyncRequest(
    method: string,
    url: string | URL | { url: string; name: string },
    body?: unknown,
    params: Params = {},
    ntlmSession?: object,
  ): Promise<K6Response> {
    if (params.auth === 'ntlm' && ntlmSession === undefined) {
      // NTLM authenticates a connection. As in k6, where each VU has its own connections, the VU keeps it for the
      // next request with the same credentials (which then goes through at once); no other VU ever gets it. A
      // request made while that connection is busy (http.batch) handshakes on a connection of its own, closed after.
      const key = ntlmSessionKey(url);
      let session = ntlmSessions.get(key);
      if (session === undefined) {
        session = {};
        ntlmSessions.set(key, session);
      }
      if (!busyNtlmSessions.has(session)) {
        busyNtlmSessions.add(session);
        try {
          return await asyncRequest(method, url, body, params, session);
        } finally {
          busyNtlmSessions.delete(session);
        }
      }
      const own = {};
      try {
        return await asyncRequest(method, url, body, params, own);
      } finally {
        releaseSession(own);
      }
    }
    if (vu.hardStopped) throw new AbortedError();
    let nameTag: string | undefined;
    let target: URL;
    if (typeof url === 'object' && url !== null && 'url' in url && 'name' in url) {
      nameTag = url.name;
      target = parseUrl(url.url);
    } else target = parseUrl(String(url));
    // after an abort no request starts, but those to preflight's own journal (recording what was created)
    if (engine.aborted && !engine.allowedAfterAbort(target)) throw new AbortedError();
    // params.auth 'digest': the URL's credentials answer the server's challenge instead of going as Basic auth
    let digest: DigestCredentials | undefined;
    let ntlm: NtlmHandshake | undefined;
    if (params.auth === 'digest' && (target.username || target.password)) {
      digest = urlCredentials(target);
      target = withoutUrlCredentials(target);
    } else if (params.auth === 'ntlm') {
      // params.auth 'ntlm': the URL's credentials go through an NTLMv2 handshake, never as Basic auth
      if (target.username || target.password) {
        ntlm = { ...urlCredentials(target), step: 'anonymous', scheme: 'NTLM' };
        target = withoutUrlCredentials(target);
      }
    } else if (params.auth !== undefined && params.auth !== 'basic')
      throw new PreflightError(
        'E_UNSUPPORTED_API',
        `The native engine does not support params.auth "${params.auth}"`,
        {
          hint: "use 'basic', 'digest' or 'ntlm' (credentials in the URL), or run with --engine k6",
        },
      );
    const upper = method.toUpperCase();
    const headers: Record<string, string> = userAgent ? { 'User-Agent': userAgent } : {};
    const extraHeaders = params.headers;
    if (extraHeaders)
      for (const k in extraHeaders) if (Object.hasOwn(extraHeaders, k)) headers[k] = String(extraHeaders[k]);
    // the handshake starts without credentials (go-ntlmssp drops a script's Authorization for it)
    if (ntlm) for (const k in headers) if (k.toLowerCase() === 'authorization') delete headers[k];
    const encoded = encodeBody(body, headers);
    const timeoutMs =
      params.timeout === undefined ? 60_000 : parseDuration(params.timeout as string, 'params.timeout');
    const maxRedirects = params.redirects ?? (engine.options.maxRedirects as number | undefined) ?? 10;
    const expected = params.responseCallback ?? expectedDefault;
    const responseType = params.responseType ?? defaultResponseType;
    const jar = params.jar ?? getVuJar();

    let current = target;
    let currentMethod = upper;
    let currentBody = encoded;
    let currentHeaders = headers;
    let extraCookies = params.cookies;
    for (let hop = 0; ; hop++) {
      const connectTo = resolveHostOverride(current, hosts);
      // the guard checks where the bytes go: an options.hosts entry, else the URL's host
      engine.guardUrl(connectTo ? toConnectUrl(current, connectTo) : current);
      const cookie = mergeCookies(jar.headerFor(current), extraCookies);
      const reqHeaders = cookie ? { ...currentHeaders, Cookie: cookie } : currentHeaders;
      const raw = await sendRequest({
        method: currentMethod,
        url: current,
        connectTo,
        headers: reqHeaders,
        body: currentBody,
        timeoutMs,
        session: ntlm ? ntlmSession : undefined,
        insecureSkipTLSVerify: engine.options.insecureSkipTLSVerify === true,
        onAbortHandle: setAbort,
      });
      const ok = raw.status !== 0 && isExpected(raw.status, expected);
      const requestUrl = current;
      const requestMethod = currentMethod;
      let tags: Tags | undefined;
      const getTags = (): Tags => {
        if (tags) return tags;
        // the same request as the last one (same VU tags object, URL object, method, status, name): the same tags
        const reusable = params.tags === undefined && !raw.error;
        const last = lastTags;
        if (
          reusable &&
          last !== undefined &&
          last.vuTags === vu.tags &&
          last.url === requestUrl &&
          last.method === requestMethod &&
          last.status === raw.status &&
          last.ok === ok &&
          last.nameTag === nameTag
        ) {
          tags = last.tags;
          return tags;
        }
        const url = cleanUrl(requestUrl);
        tags = {
          ...vu.tags,
          ...params.tags,
          name: params.tags?.name ?? nameTag ?? url,
          method: requestMethod,
          status: String(raw.status),
          url,
          expected_response: String(ok),
          proto: raw.status ? 'HTTP/1.1' : '',
        };
        if (raw.error) tags.error_code = String(raw.errorCode);
        if (reusable)
          lastTags = {
            vuTags: vu.tags,
            url: requestUrl,
            method: requestMethod,
            status: raw.status,
            ok,
            nameTag,
            tags,
          };
        return tags;
      };
      record(raw, getTags, !ok);
      // k6's `throw` option: a request that failed (no response: refused, reset, timeout, TLS) throws in the script
      // once its metrics are in; an error status never throws
      if (raw.error && options.throw === true) throw requestFailed(requestMethod, requestUrl, raw.error);
      if (hasRawHeader(raw.rawHeaders, 'set-cookie'))
        jar.storeSetCookie(current, findRawHeader(raw.rawHeaders, 'set-cookie'));
      if (digest && raw.status === 401) {
        const challenge = findRawHeader(raw.rawHeaders, 'www-authenticate')
          .map(parseDigestChallenge)
          .find((c) => c !== undefined);
        if (challenge) {
          const authorization = createDigestAuthorization(challenge, currentMethod, current, digest);
          currentHeaders = { ...currentHeaders, Authorization: authorization };
          // one answer per request: a second 401 is the response
          digest = undefined;
          hop--;
          continue;
        }
      }
      if (ntlm && raw.status === 401) {
        const authorization = nextNtlmAuthorization(ntlm, findRawHeader(raw.rawHeaders, 'www-authenticate'));
        if (authorization) {
          currentHeaders = { ...currentHeaders, Authorization: authorization };
          hop--;
          continue;
        }
      }
      const location =
        raw.status >= 300 && raw.status < 400 ? findRawHeader(raw.rawHeaders, 'location')[0] : undefined;
      if (location !== undefined && hop < maxRedirects) {
        const next = new URL(location, current);
        // as Go's client (k6's): 301/302/303 make any method but GET and HEAD a GET, and never resend the body
        if (raw.status === 301 || raw.status === 302 || raw.status === 303) {
          if (currentMethod !== 'GET' && currentMethod !== 'HEAD') currentMethod = 'GET';
          currentBody = undefined;
        }
        // credentials stay with their domain: Authorization and the script's cookies are not sent to another one
        if (!isSameOrSubdomain(next.hostname, target.hostname)) {
          currentHeaders = withoutCredentials(currentHeaders);
          extraCookies = undefined;
        }
        current = next;
        continue;
      }
      return new K6Response(
        raw,
        current,
        currentMethod,
        { headers: reqHeaders, body: currentBody },
        responseType,
        followUp,
        connectTo,
      );
    }
  }

  const followUp = (method: string, url: string, body: unknown, params: unknown) =>
    asyncRequest(method, url, body, (params ?? {}) as Params);

  const module = {
    asyncRequest,
    file: createFile,
    cookieJar: getVuJar,
    CookieJar,
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
  Object.assign(module, createBlockingHttp(followUp as SendRequest, engine.options));
  module.default = module;
  module.__esModule = true;
  return module;
}

/** The error `options.throw` raises for a failed request, worded as k6's (Go's `url.Error`: `Get "url": cause`). */
function requestFailed(method: string, url: URL, cause: string): Error {
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  return new Error(`${verb} "${cleanUrl(url)}": ${cause}`);
}

/** Thrown into a VU when the test was aborted, so its iteration ends quietly. */
export class AbortedError extends Error {
  constructor() {
    super('test aborted');
    this.name = 'AbortedError';
  }
}
