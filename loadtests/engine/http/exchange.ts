/** One request and its response on the native HTTP client: the request, what is known so far, how it ends. */
import { now } from '../native/clock.js';
import { measureTimings, type PhaseMarks, type Timings } from './timing.js';

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
  /** When the exchange ended (performance.now ms), for the per-second series without another clock read. */
  endedAt?: number;
}

export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
  /** k6's `options.hosts`: connect here instead of the URL's host (the URL still names Host and TLS SNI). */
  connectTo?: { host: string; port: number };
  /** k6's `insecureSkipTLSVerify`: accept any certificate (self-signed staging targets). */
  insecureSkipTLSVerify?: boolean;
  /**
   * Connection-bound authentication (NTLM): every request with the same session object goes on the connection the
   * last one used, which is held for it (never given to other requests) until `releaseSession()` closes it.
   */
  session?: object;
  /** Receives the request's abort function while it runs (undefined when it ends). */
  onAbortHandle?: (abort: ((error?: Error) => void) | undefined) => void;
}

/** One exchange on a connection: what is known so far about the response. */
export interface Exchange extends PhaseMarks {
  request: RawRequest;
  deadline: number;
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
  /** Sent on a kept-alive socket (written at once, so a resend is safe only for an idempotent method). */
  reused: boolean;
  resolve: (response: RawResponse) => void;
}

const emptyBody = Buffer.alloc(0);

/** A new exchange for `request`, dispatched at `t0`, resolved through `resolve`. */
export function createExchange(
  request: RawRequest,
  t0: number,
  resolve: (response: RawResponse) => void,
): Exchange {
  return {
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
    resolve,
  };
}

/** k6's error message and code for a network, TLS or timeout error. */
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

/** Ends an exchange: resolves its promise with the response, or with k6's error message and code. */
export function settleExchange(exchange: Exchange, error?: Error & { code?: string }): void {
  exchange.request.onAbortHandle?.(undefined);
  const end = now();
  const classified = error ? classifyError(error) : undefined;
  const chunks = exchange.chunks;
  exchange.resolve({
    status: error ? 0 : exchange.status,
    statusText: error ? '' : exchange.statusText,
    rawHeaders: error ? [] : exchange.rawHeaders,
    body: chunks.length === 0 ? emptyBody : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
    timings: measureTimings(exchange, end, error !== undefined),
    error: classified?.message ?? '',
    errorCode: classified?.code ?? 0,
    bytesSent: exchange.bytesSent,
    bytesReceived: exchange.received,
    endedAt: end,
  });
}
