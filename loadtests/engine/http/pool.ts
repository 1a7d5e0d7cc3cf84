/**
 * The connection pool of the native HTTP client: keep-alive sockets per origin, one request per socket at a time,
 * a stale kept-alive socket retried once for idempotent requests, timeouts swept every 100 ms.
 */
import net from 'node:net';
import tls from 'node:tls';
import { now } from '../native/clock.js';
import { type Exchange, type RawRequest, settleExchange } from './exchange.js';
import { readResponse } from './parser.js';

interface Connection {
  socket: net.Socket;
  key: string;
  pending: Buffer | undefined;
  exchange: Exchange | undefined;
  closed: boolean;
}

const idle = new Map<string, Connection[]>();
const inFlight = new Set<Connection>();
/** Connections held between the requests of a connection-bound handshake, by its session object. */
const held = new Map<object, Connection>();
let sweeper: NodeJS.Timeout | undefined;

/** Closes every pooled connection (end of a run). */
export async function closeHttpAgent(): Promise<void> {
  for (const list of idle.values()) for (const conn of list) destroy(conn);
  idle.clear();
  for (const conn of held.values()) destroy(conn);
  held.clear();
  for (const conn of inFlight)
    fail(conn, Object.assign(new Error('request aborted'), { name: 'AbortError' }));
  if (sweeper) clearInterval(sweeper);
  sweeper = undefined;
}

/** The origin key of a plain request, per URL object (request URLs are cached by the caller and never mutated). */
const plainKeys = new WeakMap<URL, string>();

function originKey(request: RawRequest): string {
  const url = request.url;
  if (!request.connectTo && !request.insecureSkipTLSVerify) {
    let key = plainKeys.get(url);
    if (key === undefined) {
      key = `${url.protocol}//${url.host}`;
      plainKeys.set(url, key);
    }
    return key;
  }
  const to = request.connectTo ? ` via ${request.connectTo.host}:${request.connectTo.port}` : '';
  return `${url.protocol}//${url.host}${to}${request.insecureSkipTLSVerify && url.protocol === 'https:' ? ' insecure' : ''}`;
}

/**
 * Ends a session: its connection is closed, never given to other requests (the server may have authenticated it
 * for this session's user).
 */
export function releaseSession(session: object): void {
  const conn = held.get(session);
  if (!conn) return;
  held.delete(session);
  destroy(conn);
}

function isUsable(conn: Connection): boolean {
  return !conn.closed && conn.socket.writable && !conn.socket.readableEnded;
}

/** Sends an exchange on an idle socket of its origin, or on a new one once it is connected. */
export function dispatch(exchange: Exchange): void {
  const url = exchange.request.url;
  const session = exchange.request.session;
  // the session's own connection (the server tied the authentication to it), else an idle one of the origin
  let conn = session ? held.get(session) : undefined;
  if (session && conn) held.delete(session);
  const key = originKey(exchange.request);
  const list = idle.get(key);
  conn ??= list?.pop();
  // a socket that ended or cannot be written is stale: skip it before a byte is sent
  while (conn && !isUsable(conn)) {
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
  const fresh = openConnection(exchange.request, key);
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

function openConnection(request: RawRequest, key: string): Connection {
  const url = request.url;
  const name = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'https:';
  const host = request.connectTo?.host ?? name;
  const port = request.connectTo?.port ?? Number(url.port || (secure ? 443 : 80));
  const insecure = request.insecureSkipTLSVerify === true;
  const socket = secure
    ? tls.connect({
        host,
        port,
        servername: net.isIP(name) ? undefined : name,
        ALPNProtocols: ['http/1.1'],
        rejectUnauthorized: !insecure,
      })
    : net.connect({
        host,
        port,
        // plain sockets read into one buffer shared by all (no Buffer and no stream push per read);
        // onData copies what it keeps
        onread: { buffer: sharedReadBuffer, callback: (n: number) => onSharedRead(conn, n) },
      });
  socket.setNoDelay(true);
  const conn: Connection = { socket, key, pending: undefined, exchange: undefined, closed: false };
  if (secure) socket.on('data', (chunk: Buffer) => onData(conn, chunk));
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
  if (body?.length) {
    conn.socket.cork();
    conn.socket.write(head, 'latin1');
    conn.socket.write(body);
    conn.socket.uncork();
  } else conn.socket.write(head, 'latin1');
  exchange.tSent = now();
}

/** The read buffer of every plain socket: a read is parsed before the next one can overwrite it. */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** `n` bytes arrived in the shared buffer. */
function onSharedRead(conn: Connection, n: number): boolean {
  onData(conn, sharedReadBuffer.subarray(0, n), true);
  return true;
}

/** A copy of `piece` when it points into the shared read buffer (the next read overwrites that). */
function own(piece: Buffer): Buffer {
  return piece.buffer === sharedReadBuffer.buffer ? Buffer.from(piece) : piece;
}

/** Bytes of the response on `conn`; `shared`: they are in the shared read buffer, so what is kept is copied. */
function onData(conn: Connection, chunk: Buffer, shared = false): void {
  const exchange = conn.exchange;
  if (!exchange) {
    // Bytes nobody asked for: the connection is out of step, drop it.
    destroy(conn);
    return;
  }
  exchange.received += chunk.length;
  const data = conn.pending ? Buffer.concat([conn.pending, chunk]) : chunk;
  const kept = exchange.chunks.length;
  const outcome = readResponse(exchange, data);
  if (outcome.kind === 'malformed') {
    conn.pending = undefined;
    fail(conn, Object.assign(new Error(outcome.message), { code: 'EPROTO' }));
    return;
  }
  if (shared) {
    // before the response is settled: its body must not change under the script
    const chunks = exchange.chunks;
    for (let i = kept; i < chunks.length; i++) chunks[i] = own(chunks[i]!);
  }
  conn.pending = outcome.rest && shared ? own(outcome.rest) : outcome.rest;
  if (outcome.kind === 'complete') complete(conn);
}

function complete(conn: Connection): void {
  const exchange = conn.exchange;
  if (!exchange) return;
  conn.exchange = undefined;
  inFlight.delete(conn);
  if (conn.pending?.length || !exchange.keepAlive || conn.closed) destroy(conn);
  else if (exchange.request.session) {
    conn.socket.unref();
    const previous = held.get(exchange.request.session);
    if (previous) destroy(previous);
    held.set(exchange.request.session, conn);
  } else keepIdle(conn);
  settleExchange(exchange);
}

function keepIdle(conn: Connection): void {
  conn.socket.unref();
  let list = idle.get(conn.key);
  if (!list) {
    list = [];
    idle.set(conn.key, list);
  }
  list.push(conn);
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
  // server may have acted on it: a reused socket is written at once, so only an idempotent method is sent again
  // (a POST the server read and then closed on must not be made twice).
  if (exchange.reused && exchange.received === 0 && isReplayable(exchange.request)) {
    conn.exchange = undefined;
    inFlight.delete(conn);
    conn.socket.destroy();
    exchange.reused = false;
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
  if (exchange) settleExchange(exchange, error);
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
