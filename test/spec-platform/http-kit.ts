// Request and response plumbing over node:http: JSON and problem bodies, body reading, 422 field errors.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  requestId: string;
  ip: string;
  /** True when the request carried the valid rate-limit bypass token. */
  bypass: boolean;
}

export interface FieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** An error answer: becomes a problem-style JSON body. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (ctx.res.headersSent) return;
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...headers,
    'Content-Type': headers['Content-Type'] ?? 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
}

export function sendProblem(ctx: RequestContext, problem: HttpProblem): void {
  const body = {
    type: 'about:blank',
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    instance: ctx.path,
    code: problem.code,
    request_id: ctx.requestId,
    errors: problem.extra.errors ?? null,
  };
  sendJson(ctx, problem.status, body, {
    ...problem.extra.headers,
    'Content-Type': 'application/problem+json',
  });
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(ctx: RequestContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    // the rest of the body stays unread, so this connection cannot carry another request
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'PAYLOAD_TOO_LARGE', 'Request body is too large', {
        headers: { Connection: 'close' },
      });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body; anything else is a 422 like FastAPI's. */
export async function readJsonBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  const text = (await readBody(ctx)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validationProblem([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw validationProblem([{ loc: ['body'], msg: 'Input should be an object', type: 'model_type' }]);
  }
  return parsed as Record<string, unknown>;
}

export async function readFormBody(ctx: RequestContext): Promise<URLSearchParams> {
  const type = ctx.req.headers['content-type'] ?? '';
  const text = (await readBody(ctx)).toString('utf8');
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
  return new URLSearchParams(text);
}

export function validationProblem(errors: FieldError[]): HttpProblem {
  const first = errors[0];
  const detail = first ? `${first.loc.join('.')}: ${first.msg}` : 'Validation error';
  return new HttpProblem(422, 'VALIDATION_ERROR', detail, { errors });
}

/** Collects field errors so one 422 names every bad field. */
export class FieldErrors {
  readonly errors: FieldError[] = [];

  add(loc: Array<string | number>, msg: string, type = 'value_error'): undefined {
    this.errors.push({ loc, msg, type });
    return undefined;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw validationProblem(this.errors);
  }
}

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const isUlid = (value: unknown): value is string =>
  typeof value === 'string' && ULID_PATTERN.test(value);

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar date as YYYY-MM-DD, else undefined. */
export function parseDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? undefined : value;
}

/** Minutes since midnight from HH:MM or HH:MM:SS, else undefined. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59 || Number(match[3] ?? 0) > 59) return undefined;
  return hours * 60 + minutes;
}

export const formatMinutes = (minutes: number, withSeconds = false): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}${withSeconds ? ':00' : ''}`;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
