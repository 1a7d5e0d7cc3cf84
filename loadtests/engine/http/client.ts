/**
 * The native engine's HTTP/1.1 client: keep-alive sockets per origin, one request per socket at a time, k6's
 * response shape and timing phases. Written on `net`/`tls` rather than a general client because the engine sends
 * every request of a load test through it: the request is one write, the response is parsed in place.
 * Split by concern: pool.ts (sockets per origin), parser.ts (status line, headers, chunked decoder),
 * timing.ts (k6's phases), exchange.ts (one request and how it ends).
 */
import { now } from '../native/clock.js';
import { createExchange, type RawRequest, type RawResponse, settleExchange } from './exchange.js';
import { dispatch } from './pool.js';

/** Sends one request; never throws for network errors (k6 reports them on the response). */
export function sendRequest(request: RawRequest): Promise<RawResponse> {
  if (request.url.username || request.url.password) request = withUrlCredentials(request);
  return new Promise((resolve) => {
    const exchange = createExchange(request, now(), resolve);
    const invalid = findInvalidRequestPart(request);
    if (invalid) settleExchange(exchange, Object.assign(new Error(invalid), { code: 'EINVALIDREQUEST' }));
    else dispatch(exchange);
  });
}

/** `https://user:pass@host/` as k6 sends it: Basic auth from the URL's credentials (unless the script set one). */
function withUrlCredentials(request: RawRequest): RawRequest {
  const url = new URL(request.url.href);
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  const hasAuthorization = Object.keys(request.headers).some((h) => h.toLowerCase() === 'authorization');
  const headers = hasAuthorization
    ? request.headers
    : { ...request.headers, Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
  return { ...request, url, headers };
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const unsafeValuePattern = /[\r\n\0]/;

/**
 * Methods, header names and header values already found valid: a load test sends the same few again and again,
 * so most requests are checked by lookups instead of regular expressions. Bounded; cleared when full.
 */
const validTokens = new Set<string>();
const validValues = new Set<string>();
const VALID_CACHE_MAX = 4096;

function isToken(text: string): boolean {
  if (validTokens.has(text)) return true;
  if (!tokenPattern.test(text)) return false;
  if (validTokens.size >= VALID_CACHE_MAX) validTokens.clear();
  validTokens.add(text);
  return true;
}

function isSafeValue(text: string): boolean {
  if (validValues.has(text)) return true;
  if (unsafeValuePattern.test(text)) return false;
  if (validValues.size >= VALID_CACHE_MAX) validValues.clear();
  validValues.add(text);
  return true;
}

/** A method or header that would break the request line or inject headers, refused before anything is sent (as Go's net/http does). */
function findInvalidRequestPart(request: RawRequest): string | undefined {
  if (!isToken(request.method)) return `net/http: invalid method ${JSON.stringify(request.method)}`;
  for (const name in request.headers) {
    if (!isToken(name)) return `net/http: invalid header field name ${JSON.stringify(name)}`;
    if (!isSafeValue(request.headers[name] ?? ''))
      return `net/http: invalid header field value for ${JSON.stringify(name)}`;
  }
  return undefined;
}
