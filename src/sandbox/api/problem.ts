/** problem+json errors in the platform's shape: {type, title, status, detail, instance, code, request_id, errors}. */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  loc: string[];
  msg: string;
  type: string;
}

/** An expected API error; the error handler renders it as problem+json. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: { errors?: FieldError[]; extra?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = options.errors;
    this.extra = options.extra ?? {};
  }
}

export function validationError(errors: FieldError[]): ApiError {
  return new ApiError(422, 'VALIDATION_ERROR', errors.map((e) => `${e.loc.join('.')}: ${e.msg}`).join('; '), {
    errors,
  });
}

export function fieldError(
  location: 'query' | 'body' | 'path',
  field: string,
  msg: string,
  type = 'value_error',
): FieldError {
  return { loc: [location, field], msg, type };
}

export function buildProblem(
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  return {
    type: `https://instainstru.com/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0],
    code,
    request_id: request.id,
    errors: [] as unknown[],
    ...extra,
  };
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send(buildProblem(request, status, code, detail, extra));
}
