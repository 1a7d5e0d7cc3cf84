/** HTTP/1.1 responses read in place: the status line and headers, the body by length, chunked or to close. */
import { now } from '../native/clock.js';
import type { Exchange } from './exchange.js';

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * What reading a piece of the response gave: the response is complete, needs more bytes, or is not HTTP.
 * `rest` holds bytes to keep: an incomplete line to read again with the next bytes, or bytes past a complete
 * response (the connection is then out of step).
 */
export type ReadOutcome =
  | { kind: 'complete'; rest?: Buffer | undefined }
  | { kind: 'partial'; rest?: Buffer | undefined }
  | { kind: 'malformed'; message: string };

/** Reads the next bytes of a response (`data` starts with the bytes kept from the last read). */
export function readResponse(exchange: Exchange, data: Buffer): ReadOutcome {
  while (!exchange.tHead) {
    const end = data.indexOf(CRLF2);
    if (end < 0) return { kind: 'partial', rest: data };
    if (!parseHead(exchange, data.toString('latin1', 0, end)))
      return { kind: 'malformed', message: 'malformed HTTP response' };
    data = data.subarray(end + 4);
    // An interim response (100 Continue): the real one follows.
    if (exchange.status < 200) exchange.tHead = 0;
    else if (exchange.remaining === 0) return { kind: 'complete', rest: data.length ? data : undefined };
  }
  return readBody(exchange, data);
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * Reads the status line (`HTTP/1.0` or `HTTP/1.1`, three digits, an optional reason after a space) and the headers;
 * sets how the body is delimited. Scans the head in place (no split, no regular expression): it runs per response.
 */
function parseHead(exchange: Exchange, head: string): boolean {
  exchange.tHead = now();
  let lineEnd = head.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = head.length;
  if (lineEnd < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return false;
  const minor = head.charCodeAt(7);
  const d1 = head.charCodeAt(9);
  const d2 = head.charCodeAt(10);
  const d3 = head.charCodeAt(11);
  if ((minor !== 48 && minor !== 49) || !isDigit(d1) || !isDigit(d2) || !isDigit(d3)) return false;
  if (lineEnd > 12 && head.charCodeAt(12) !== 32) return false;
  const http10 = minor === 48;
  exchange.status = (d1 - 48) * 100 + (d2 - 48) * 10 + (d3 - 48);
  exchange.statusText = lineEnd > 13 ? head.slice(13, lineEnd) : '';
  const raw: string[] = [];
  let length = -2;
  let chunked = false;
  let connection = '';
  for (let pos = lineEnd + 2; pos < head.length; ) {
    let next = head.indexOf('\r\n', pos);
    if (next < 0) next = head.length;
    const colon = head.indexOf(':', pos);
    if (colon <= pos || colon >= next) {
      pos = next + 2;
      continue;
    }
    const name = head.slice(pos, colon);
    const value = head.slice(colon + 1, next).trim();
    pos = next + 2;
    raw.push(name, value);
    // only content-length (14), transfer-encoding (17) and connection (10) matter: lower-case just those lengths
    const lower = name.length === 14 || name.length === 17 || name.length === 10 ? name.toLowerCase() : '';
    if (lower === 'content-length') length = Number(value);
    else if (lower === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    else if (lower === 'connection') connection = value.toLowerCase();
  }
  exchange.rawHeaders = raw;
  exchange.keepAlive = http10 ? connection === 'keep-alive' : connection !== 'close';
  const noBody =
    exchange.request.method === 'HEAD' ||
    exchange.status === 204 ||
    exchange.status === 304 ||
    exchange.status < 200;
  if (noBody) exchange.remaining = 0;
  else if (chunked) exchange.remaining = -1;
  else if (length >= 0 && Number.isFinite(length)) exchange.remaining = length;
  else {
    exchange.remaining = -2;
    exchange.keepAlive = false;
  }
  return true;
}

function readBody(exchange: Exchange, data: Buffer): ReadOutcome {
  if (exchange.remaining >= 0) {
    if (data.length === 0) return { kind: 'partial' };
    if (data.length >= exchange.remaining) {
      if (exchange.remaining) exchange.chunks.push(data.subarray(0, exchange.remaining));
      // bytes past the response: the socket is out of step and must not be reused (the pool drops it)
      const rest = data.length > exchange.remaining ? data.subarray(exchange.remaining) : undefined;
      exchange.remaining = 0;
      return { kind: 'complete', rest };
    }
    exchange.chunks.push(data);
    exchange.remaining -= data.length;
    return { kind: 'partial' };
  }
  if (exchange.remaining === -2) {
    if (data.length) exchange.chunks.push(data);
    return { kind: 'partial' };
  }
  return readChunked(exchange, data);
}

/** Transfer-Encoding: chunked, decoded across reads. */
function readChunked(exchange: Exchange, data: Buffer): ReadOutcome {
  let offset = 0;
  while (offset < data.length) {
    if (exchange.trailers) {
      // After the last chunk: trailer lines until an empty line.
      const end = data.indexOf('\r\n', offset);
      if (end < 0) break;
      if (end === offset) {
        const rest = end + 2 < data.length ? data.subarray(end + 2) : undefined;
        exchange.remaining = 0;
        return { kind: 'complete', rest };
      }
      offset = end + 2;
      continue;
    }
    if (exchange.chunkLeft < 0) {
      const end = data.indexOf('\r\n', offset);
      if (end < 0) break;
      const size = Number.parseInt(data.toString('latin1', offset, end), 16);
      if (!Number.isFinite(size) || size < 0) {
        return { kind: 'malformed', message: 'malformed chunked body' };
      }
      offset = end + 2;
      if (size === 0) exchange.trailers = true;
      else exchange.chunkLeft = size + 2; // the chunk and its CRLF
      continue;
    }
    const take = Math.min(exchange.chunkLeft, data.length - offset);
    const dataBytes = Math.max(0, Math.min(take, exchange.chunkLeft - 2));
    if (dataBytes > 0) exchange.chunks.push(data.subarray(offset, offset + dataBytes));
    exchange.chunkLeft -= take;
    offset += take;
    if (exchange.chunkLeft === 0) exchange.chunkLeft = -1;
  }
  return { kind: 'partial', rest: offset < data.length ? Buffer.from(data.subarray(offset)) : undefined };
}

/** Whether the response has the header (name in lower case); allocates nothing (asked for every response). */
export function hasRawHeader(rawHeaders: string[], lowerName: string): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return true;
  }
  return false;
}

/** The values of one response header (name in lower case). */
export function findRawHeader(rawHeaders: string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) out.push(rawHeaders[i + 1]!);
  }
  return out;
}

/** All response headers with k6's canonical names; repeated headers are joined with ", ". */
export function parseRawHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = canonicalHeaderName(rawHeaders[i]!);
    const value = rawHeaders[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

const canonicalCache = new Map<string, string>();

/** `content-type` -> `Content-Type`, as k6 (Go) presents response headers. */
export function canonicalHeaderName(name: string): string {
  let cached = canonicalCache.get(name);
  if (cached === undefined) {
    cached = name
      .toLowerCase()
      .split('-')
      .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
      .join('-');
    if (canonicalCache.size < 1000) canonicalCache.set(name, cached);
  }
  return cached;
}
