/**
 * The native engine's HTTP: undici with keep-alive, k6's response shape and timing phases.
 * Phases: blocked = dispatch -> the request starts on a socket (queueing plus connecting);
 * connecting = connect time of a socket opened while this request waited (approximation);
 * sending = start of write -> request fully written; waiting = sent -> response headers;
 * receiving = headers -> last byte. tls_handshaking is always 0 (loopback/HTTP only here).
 */
import { Agent, type buildConnector, buildConnector as createConnector, type Dispatcher } from 'undici';
import { now } from './clock.js';

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
  /** Name/value buffers as received; parsed only when the script reads headers (it mostly does not). */
  rawHeaders: Buffer[];
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
  /** Receives the request's abort function while it runs (undefined when it ends). */
  onAbortHandle?: (abort: ((error?: Error) => void) | undefined) => void;
}

let connects = 0;
let lastConnectMs = 0;
let agent: Agent | undefined;

function getAgent(): Agent {
  if (agent) return agent;
  const base = createConnector({});
  const connect: buildConnector.connector = (options, callback) => {
    const started = now();
    return base(options, (error, socket) => {
      if (!error) {
        connects++;
        lastConnectMs = now() - started;
      }
      (callback as (e: Error | null, s: unknown) => void)(error, socket);
    });
  };
  agent = new Agent({ connect, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, pipelining: 1 });
  return agent;
}

/** Closes every pooled connection (end of a run). */
export async function closeHttpAgent(): Promise<void> {
  const current = agent;
  agent = undefined;
  await current?.close().catch(() => undefined);
}

function classifyError(error: Error & { code?: string }): { message: string; code: number } {
  const code = error.code ?? '';
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    error.name === 'TimeoutError'
  ) {
    return { message: 'request timeout', code: 1050 };
  }
  if (code === 'ECONNREFUSED') return { message: `dial: connection refused`, code: 1212 };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return { message: 'connection reset by peer', code: 1220 };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { message: 'lookup: no such host', code: 1101 };
  if (code === 'UND_ERR_ABORTED' || error.name === 'AbortError')
    return { message: 'request aborted', code: 1000 };
  return { message: error.message, code: 1000 };
}

/** Sends one request; never throws for network errors (k6 reports them on the response). */
export function sendRequest(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const t0 = now();
    const connectsBefore = connects;
    let tStart = t0;
    let tSent = t0;
    let tHeaders = 0;
    let status = 0;
    let statusText = '';
    let rawHeaders: Buffer[] = [];
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const bodyBytes = request.body?.length ?? 0;
    const headerBytes = estimateRequestHeaderBytes(request);

    const finish = (error?: Error & { code?: string }) => {
      if (settled) return;
      settled = true;
      request.onAbortHandle?.(undefined);
      const end = now();
      const connecting = connects > connectsBefore ? Math.min(lastConnectMs, tStart - t0) : 0;
      const sending = Math.max(0, tSent - tStart);
      const waiting = tHeaders ? tHeaders - tSent : error ? end - tSent : 0;
      const receiving = tHeaders ? end - tHeaders : 0;
      const classified = error ? classifyError(error) : undefined;
      resolve({
        status: error ? 0 : status,
        statusText,
        rawHeaders,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        timings: {
          duration: sending + waiting + receiving,
          blocked: Math.max(0, tStart - t0),
          connecting,
          tls_handshaking: 0,
          sending,
          waiting,
          receiving,
        },
        error: classified?.message ?? '',
        errorCode: classified?.code ?? 0,
        bytesSent: tStart > t0 || tSent > t0 ? headerBytes + bodyBytes : 0,
        bytesReceived: received,
      });
    };

    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        tStart = now();
        tSent = tStart;
        request.onAbortHandle?.(abort);
      },
      onRequestSent() {
        tSent = now();
      },
      onHeaders(statusCode, headerBuffers, _resume, text) {
        tHeaders = now();
        status = statusCode;
        statusText = text;
        rawHeaders = headerBuffers;
        for (const b of headerBuffers) received += b.length + 2;
        received += 17 + text.length;
        return true;
      },
      onData(chunk) {
        received += chunk.length;
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        finish();
      },
      onError(error) {
        finish(error as Error & { code?: string });
      },
    } as Dispatcher.DispatchHandler;

    try {
      getAgent().dispatch(
        {
          origin: request.url.origin,
          path: `${request.url.pathname}${request.url.search}`,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      finish(error as Error);
    }
  });
}

function estimateRequestHeaderBytes(request: RawRequest): number {
  let bytes = request.method.length + request.url.pathname.length + request.url.search.length + 12;
  bytes += request.url.host.length + 8;
  for (const [k, v] of Object.entries(request.headers)) bytes += k.length + v.length + 4;
  return bytes + 2;
}

/** The values of one response header (name in lower case), straight from the raw buffers. */
export function findRawHeader(rawHeaders: Buffer[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toString('latin1').toLowerCase() === lowerName) {
      out.push(rawHeaders[i + 1]!.toString('latin1'));
    }
  }
  return out;
}

/** All response headers with k6's canonical names; repeated headers are joined with ", ". */
export function parseRawHeaders(rawHeaders: Buffer[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = canonicalHeaderName(rawHeaders[i]!.toString('latin1'));
    const value = rawHeaders[i + 1]!.toString('latin1');
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
