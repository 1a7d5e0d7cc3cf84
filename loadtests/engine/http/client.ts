/**
 * The native engine's HTTP/1.1 client: keep-alive sockets per origin, one request per socket at a time, k6's
 * response shape and timing phases. Written on `net`/`tls` rather than a general client because the engine sends
 * every request of a load test through it: the request is one write, the response is parsed in place.
 * Phases: blocked = dispatch -> a socket is ready (an idle one, or a new one once connected);
 * connecting = TCP (and TLS) connect of a socket opened for this request; sending = writing the request;
 * waiting = sent -> the response head is complete; receiving = head -> last byte.
 */
import net from 'node:net';
import tls from 'node:tls';
import { now } from '../native/clock.js';

export interface Timings {
  duration: number;
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
}

export interface RawResponse {
  status: number;
  statusText: string;
  /** Names and values as received (latin1), alternating; parsed only when the script reads headers. */
  rawHeaders: string[];
  body: Buffer;
  timings: Timings;
  error: string;
  errorCode: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
  /** k6's `insecureSkipTLSVerify`: accept any certificate (self-signed staging targets). */
  insecureSkipTLSVerify?: boolean;
  /** Receives the request's abort function while it runs (undefined when it ends). */
  onAbortHandle?: (abort: ((error?: Error) => void) | undefined) => void;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const emptyBody = Buffer.alloc(0);

/** One exchange on a connection: what is known so far about the response. */
interface Exchange {
  request: RawRequest;
  deadline: number;
  t0: number;
  tReady: number;
  tSent: number;
  tHead: number;
  connectMs: number;
  tlsMs: number;
  bytesSent: number;
  received: number;
  status: number;
  statusText: string;
  rawHeaders: string[];
  chunks: Buffer[];
  /** Remaining body bytes (content-length), -1 for chunked, -2 until the connection closes. */
  remaining: number;
  keepAlive: boolean;
  /** Chunked decoding: bytes left in the current chunk, or -1 when a size line is expected next. */
  chunkLeft: number;
  trailers: boolean;
  reused: boolean;
  /** Whether the request was handed to a socket (a resend is then safe only for an idempotent method). */
  written: boolean;
  resolve: (response: RawResponse) => void;
}

interface Connection {
  socket: net.Socket;
  key: string;
  pending: Buffer | undefined;
  exchange: Exchange | undefined;
  closed: boolean;
}

const idle = new Map<string, Connection[]>();
const inFlight = new Set<Connection>();
let sweeper: NodeJS.Timeout | undefined;

/** Closes every pooled connection (end of a run). */
export async function closeHttpAgent(): Promise<void> {
  for (const list of idle.values()) for (const conn of list) destroy(conn);
  idle.clear();
  for (const conn of inFlight)
    fail(conn, Object.assign(new Error('request aborted'), { name: 'AbortError' }));
  if (sweeper) clearInterval(sweeper);
  sweeper = undefined;
}

function classifyError(error: Error & { code?: string }): { message: string; code: number } {
  const code = error.code ?? '';
  if (code === 'ETIMEDOUT_REQUEST' || error.name === 'TimeoutError')
    return { message: 'request timeout', code: 1050 };
  if (code === 'ECONNREFUSED') return { message: 'dial: connection refused', code: 1212 };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNCLOSED')
    return { message: 'connection reset by peer', code: 1220 };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { message: 'lookup: no such host', code: 1101 };
  if (error.name === 'AbortError') return { message: 'request aborted', code: 1000 };
  // k6's TLS codes: 1310 unknown authority, 1311 hostname mismatch, 1300 any other
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED/.test(code))
    return { message: `x509: certificate signed by unknown authority (${error.message})`, code: 1310 };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { message: error.message, code: 1311 };
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))
    return { message: error.message, code: 1300 };
  return { message: error.message, code: 1000 };
}

/** Sends one request; never throws for network errors (k6 reports them on the response). */
export function sendRequest(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const t0 = now();
    const exchange: Exchange = {
      request,
      deadline: t0 + request.timeoutMs,
      t0,
      tReady: t0,
      tSent: t0,
      tHead: 0,
      connectMs: 0,
      tlsMs: 0,
      bytesSent: 0,
      received: 0,
      status: 0,
      statusText: '',
      rawHeaders: [],
      chunks: [],
      remaining: 0,
      keepAlive: true,
      chunkLeft: -1,
      trailers: false,
      reused: false,
      written: false,
      resolve,
    };
    const invalid = findInvalidRequestPart(request);
    if (invalid) settle(exchange, Object.assign(new Error(invalid), { code: 'EINVALIDREQUEST' }));
    else dispatch(exchange);
  });
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const unsafeValuePattern = /[\r\n\0]/;

/** A method or header that would break the request line or inject headers, refused before anything is sent (as Go's net/http does). */
function findInvalidRequestPart(request: RawRequest): string | undefined {
  if (!tokenPattern.test(request.method)) return `net/http: invalid method ${JSON.stringify(request.method)}`;
  for (const name in request.headers) {
    if (!tokenPattern.test(name)) return `net/http: invalid header field name ${JSON.stringify(name)}`;
    if (unsafeValuePattern.test(request.headers[name] ?? ''))
      return `net/http: invalid header field value for ${JSON.stringify(name)}`;
  }
  return undefined;
}

function originKey(request: RawRequest): string {
  const url = request.url;
  return `${url.protocol}//${url.host}${request.insecureSkipTLSVerify && url.protocol === 'https:' ? ' insecure' : ''}`;
}

function dispatch(exchange: Exchange): void {
  const url = exchange.request.url;
  const key = originKey(exchange.request);
  const list = idle.get(key);
  let conn = list?.pop();
  // a socket that ended or cannot be written is stale: skip it before a byte is sent
  while (conn && (conn.closed || !conn.socket.writable || conn.socket.readableEnded)) {
    destroy(conn);
    conn = list?.pop();
  }
  if (conn) {
    conn.socket.ref();
    exchange.reused = true;
    attach(conn, exchange);
    exchange.tReady = now();
    write(conn, exchange);
    return;
  }
  const fresh = openConnection(url, key, exchange.request.insecureSkipTLSVerify === true);
  attach(fresh, exchange);
  const started = now();
  const secure = url.protocol === 'https:';
  let tcpReady = 0;
  fresh.socket.once('connect', () => {
    tcpReady = now();
  });
  fresh.socket.once(secure ? 'secureConnect' : 'connect', () => {
    const ready = now();
    exchange.tReady = ready;
    exchange.connectMs = ready - started;
    if (secure && tcpReady) exchange.tlsMs = ready - tcpReady;
    write(fresh, exchange);
  });
}

function openConnection(url: URL, key: string, insecure: boolean): Connection {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const socket = secure
    ? tls.connect({
        host,
        port,
        servername: net.isIP(host) ? undefined : host,
        ALPNProtocols: ['http/1.1'],
        rejectUnauthorized: !insecure,
      })
    : net.connect({ host, port });
  socket.setNoDelay(true);
  const conn: Connection = { socket, key, pending: undefined, exchange: undefined, closed: false };
  socket.on('data', (chunk: Buffer) => onData(conn, chunk));
  socket.on('error', (error) => onClose(conn, error));
  socket.on('close', () => onClose(conn));
  socket.on('end', () => onClose(conn));
  return conn;
}

function attach(conn: Connection, exchange: Exchange): void {
  conn.exchange = exchange;
  inFlight.add(conn);
  exchange.request.onAbortHandle?.((error?: Error) => {
    if (conn.exchange === exchange)
      fail(conn, error ?? Object.assign(new Error('request aborted'), { name: 'AbortError' }));
  });
  if (!sweeper) {
    sweeper = setInterval(sweepTimeouts, 100);
    sweeper.unref();
  }
}

function write(conn: Connection, exchange: Exchange): void {
  const { request } = exchange;
  const url = request.url;
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  for (const name in request.headers) {
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    else if (lower === 'content-length') hasLength = true;
    head += `${name}: ${request.headers[name]}\r\n`;
  }
  if (!hasHost) head += `Host: ${url.host}\r\n`;
  const body = request.body;
  if (
    !hasLength &&
    (body || request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH')
  )
    head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.byteLength(head, 'latin1');
  exchange.bytesSent = headBytes + (body?.length ?? 0);
  exchange.written = true;
  if (body?.length) {
    conn.socket.cork();
    conn.socket.write(head, 'latin1');
    conn.socket.write(body);
    conn.socket.uncork();
  } else conn.socket.write(head, 'latin1');
  exchange.tSent = now();
}

function onData(conn: Connection, chunk: Buffer): void {
  const exchange = conn.exchange;
  if (!exchange) {
    // Bytes nobody asked for: the connection is out of step, drop it.
    destroy(conn);
    return;
  }
  exchange.received += chunk.length;
  let data = conn.pending ? Buffer.concat([conn.pending, chunk]) : chunk;
  conn.pending = undefined;
  while (!exchange.tHead) {
    const end = data.indexOf(CRLF2);
    if (end < 0) {
      conn.pending = data;
      return;
    }
    if (!parseHead(exchange, data.toString('latin1', 0, end))) {
      fail(conn, Object.assign(new Error('malformed HTTP response'), { code: 'EPROTO' }));
      return;
    }
    data = data.subarray(end + 4);
    // An interim response (100 Continue): the real one follows.
    if (exchange.status < 200) exchange.tHead = 0;
    else if (exchange.remaining === 0) {
      if (data.length) conn.pending = data;
      complete(conn);
      return;
    }
  }
  readBody(conn, exchange, data);
}

/** Reads the status line and headers; sets how the body is delimited. */
function parseHead(exchange: Exchange, head: string): boolean {
  exchange.tHead = now();
  const lines = head.split('\r\n');
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match) return false;
  const http10 = match[1] === '0';
  exchange.status = Number(match[2]);
  exchange.statusText = match[3] ?? '';
  const raw: string[] = [];
  let length = -2;
  let chunked = false;
  let connection = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
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

function readBody(conn: Connection, exchange: Exchange, data: Buffer): void {
  if (exchange.remaining >= 0) {
    if (data.length === 0) return;
    if (data.length >= exchange.remaining) {
      if (exchange.remaining) exchange.chunks.push(data.subarray(0, exchange.remaining));
      // bytes past the response: the socket is out of step and must not be reused (complete() drops it)
      if (data.length > exchange.remaining) conn.pending = data.subarray(exchange.remaining);
      exchange.remaining = 0;
      complete(conn);
      return;
    }
    exchange.chunks.push(data);
    exchange.remaining -= data.length;
    return;
  }
  if (exchange.remaining === -2) {
    if (data.length) exchange.chunks.push(data);
    return;
  }
  readChunked(conn, exchange, data);
}

/** Transfer-Encoding: chunked, decoded across reads. */
function readChunked(conn: Connection, exchange: Exchange, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    if (exchange.trailers) {
      // After the last chunk: trailer lines until an empty line.
      const end = data.indexOf('\r\n', offset);
      if (end < 0) break;
      if (end === offset) {
        if (end + 2 < data.length) conn.pending = data.subarray(end + 2);
        exchange.remaining = 0;
        complete(conn);
        return;
      }
      offset = end + 2;
      continue;
    }
    if (exchange.chunkLeft < 0) {
      const end = data.indexOf('\r\n', offset);
      if (end < 0) break;
      const size = Number.parseInt(data.toString('latin1', offset, end), 16);
      if (!Number.isFinite(size) || size < 0) {
        fail(conn, Object.assign(new Error('malformed chunked body'), { code: 'EPROTO' }));
        return;
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
  if (offset < data.length) conn.pending = Buffer.from(data.subarray(offset));
}

function complete(conn: Connection): void {
  const exchange = conn.exchange;
  if (!exchange) return;
  conn.exchange = undefined;
  inFlight.delete(conn);
  if (conn.pending?.length || !exchange.keepAlive || conn.closed) destroy(conn);
  else {
    conn.socket.unref();
    let list = idle.get(conn.key);
    if (!list) {
      list = [];
      idle.set(conn.key, list);
    }
    list.push(conn);
  }
  settle(exchange);
}

function onClose(conn: Connection, error?: Error): void {
  if (conn.closed && !conn.exchange) return;
  conn.closed = true;
  const exchange = conn.exchange;
  if (!exchange) {
    removeIdle(conn);
    return;
  }
  if (exchange.tHead && exchange.remaining === -2 && !error) {
    complete(conn);
    return;
  }
  // A kept-alive socket the server closed just as it was reused: send once more on a fresh one, unless the
  // server may have acted on it (a POST it read and then closed on must not be made twice).
  if (exchange.reused && exchange.received === 0 && (!exchange.written || isReplayable(exchange.request))) {
    conn.exchange = undefined;
    inFlight.delete(conn);
    conn.socket.destroy();
    exchange.reused = false;
    exchange.written = false;
    dispatch(exchange);
    return;
  }
  fail(conn, error ?? Object.assign(new Error('the server closed the connection'), { code: 'ECONNCLOSED' }));
}

/** Methods RFC 9110 calls idempotent (TRACE aside): sending one twice has the effect of sending it once. */
const replayableMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function isReplayable(request: RawRequest): boolean {
  return replayableMethods.has(request.method);
}

function fail(conn: Connection, error: Error & { code?: string }): void {
  const exchange = conn.exchange;
  conn.exchange = undefined;
  inFlight.delete(conn);
  destroy(conn);
  if (exchange) settle(exchange, error);
}

function destroy(conn: Connection): void {
  conn.closed = true;
  conn.pending = undefined;
  conn.socket.destroy();
  removeIdle(conn);
}

function removeIdle(conn: Connection): void {
  const list = idle.get(conn.key);
  const at = list?.indexOf(conn) ?? -1;
  if (list && at >= 0) list.splice(at, 1);
}

function sweepTimeouts(): void {
  const t = now();
  for (const conn of inFlight) {
    if (conn.exchange && conn.exchange.deadline <= t)
      fail(conn, Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT_REQUEST' }));
  }
  if (inFlight.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function settle(exchange: Exchange, error?: Error & { code?: string }): void {
  exchange.request.onAbortHandle?.(undefined);
  const end = now();
  const { t0, tReady, tSent, tHead } = exchange;
  const sending = Math.max(0, tSent - tReady);
  const waiting = tHead ? tHead - tSent : error ? Math.max(0, end - tSent) : 0;
  const receiving = tHead ? end - tHead : 0;
  const classified = error ? classifyError(error) : undefined;
  const chunks = exchange.chunks;
  exchange.resolve({
    status: error ? 0 : exchange.status,
    statusText: error ? '' : exchange.statusText,
    rawHeaders: error ? [] : exchange.rawHeaders,
    body: chunks.length === 0 ? emptyBody : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
    timings: {
      duration: sending + waiting + receiving,
      blocked: Math.max(0, tReady - t0),
      connecting: Math.max(0, exchange.connectMs - exchange.tlsMs),
      tls_handshaking: exchange.tlsMs,
      sending,
      waiting,
      receiving,
    },
    error: classified?.message ?? '',
    errorCode: classified?.code ?? 0,
    bytesSent: exchange.bytesSent,
    bytesReceived: exchange.received,
  });
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
