/** Request-level guards: client IP, CORS, CSRF origin check, security headers and rate limiting. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { sendProblem } from './problem.js';
import type { LimitDecision } from './rate-limit.js';

export const API_PREFIX = '/api/v1';
const exemptPaths = [
  `${API_PREFIX}/health`,
  `${API_PREFIX}/ready`,
  `${API_PREFIX}/metrics/prometheus`,
  '/customer/v1/privileged/metrics',
];

/** The client IP: the socket address, or (with `rate-limit-ip-spoof`) what the headers claim, as the platform reads it. */
export function getClientIp(ctx: ApiContext, request: FastifyRequest): string {
  const socketIp = request.socket.remoteAddress ?? 'unknown';
  if (!ctx.weak.has('rate-limit-ip-spoof')) return socketIp;
  const header = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  return (
    header('cf-connecting-ip') ||
    header('x-forwarded-for')?.split(',')[0]?.trim() ||
    header('x-real-ip') ||
    socketIp
  );
}

export function hasBypass(ctx: ApiContext, request: FastifyRequest): boolean {
  const value = request.headers[ctx.bypass.header.toLowerCase()];
  return typeof value === 'string' && value.length > 0 && value === ctx.bypass.token;
}

export function setSecurityHeaders(reply: FastifyReply): void {
  reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains; preload');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}

function isAllowedOrigin(ctx: ApiContext, origin: string): boolean {
  return ctx.allowedOrigins.includes(origin);
}

/** CORS with credentials for the allowlist (or any origin with `cors-reflect-origin`). Returns whether the origin is allowed. */
export function setCorsHeaders(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  const allowed =
    origin !== undefined && (ctx.weak.has('cors-reflect-origin') || isAllowedOrigin(ctx, origin));
  reply.header('vary', 'Origin');
  if (origin !== undefined && allowed) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header(
      'access-control-expose-headers',
      'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Request-ID',
    );
  }
  return allowed;
}

/** Answers a CORS preflight (204, or 400 for a disallowed origin). Returns true when the request was a preflight. */
export function answerPreflight(request: FastifyRequest, reply: FastifyReply, allowed: boolean): boolean {
  if (request.method !== 'OPTIONS' || !request.headers['access-control-request-method']) return false;
  if (!allowed) {
    sendProblem(request, reply, 400, 'CORS_ORIGIN_NOT_ALLOWED', 'Disallowed CORS origin');
    return true;
  }
  reply
    .code(204)
    .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
    .header(
      'access-control-allow-headers',
      request.headers['access-control-request-headers'] ?? 'Authorization, Content-Type',
    )
    .header('access-control-max-age', '600')
    .send();
  return true;
}

/** CSRF: state-changing requests need an Origin or Referer from an allowed frontend. Returns true when rejected. */
export function rejectCrossSiteWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply): boolean {
  if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(request.method)) return false;
  if (!request.url.startsWith(`${API_PREFIX}/`)) return false;
  const source = request.headers.origin ?? request.headers.referer;
  let origin: string | undefined;
  try {
    origin = source ? new URL(source).origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origin && isAllowedOrigin(ctx, origin)) return false;
  sendProblem(
    request,
    reply,
    403,
    'CSRF_ORIGIN_MISMATCH',
    'Origin or Referer is missing or not an allowed frontend',
  );
  return true;
}

export function setRateLimitHeaders(reply: FastifyReply, decision: LimitDecision): void {
  reply.header('x-ratelimit-limit', String(decision.limit));
  reply.header('x-ratelimit-remaining', String(decision.remaining));
  reply.header('x-ratelimit-reset', String(decision.resetSeconds));
}

export function sendRateLimited(
  request: FastifyRequest,
  reply: FastifyReply,
  decision: LimitDecision,
  detail: string,
): FastifyReply {
  setRateLimitHeaders(reply, decision);
  reply.header('retry-after', String(decision.retryAfterSeconds));
  return sendProblem(request, reply, 429, 'RATE_LIMIT_EXCEEDED', detail, {
    retry_after: decision.retryAfterSeconds,
  });
}

/** The global sliding window per client IP. Returns true when the request was rejected. */
export function applyGlobalRateLimit(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply): boolean {
  const path = request.url.split('?')[0] ?? '';
  const key = getClientIp(ctx, request);
  const limit = ctx.rateLimits.globalPerIpPerMinute;
  const exempt = request.method === 'OPTIONS' || exemptPaths.includes(path) || ctx.weak.has('no-rate-limit');
  if (exempt || hasBypass(ctx, request)) {
    if (!exempt) ctx.metrics.rateLimitDecisions.inc({ bucket: 'global', action: 'bypass', shadow: 'false' });
    setRateLimitHeaders(reply, ctx.limiters.global.peek(key, limit, ctx.rateLimits.windowSeconds * 1000));
    return false;
  }
  const decision = ctx.limiters.global.hit(key, limit, ctx.rateLimits.windowSeconds * 1000);
  ctx.metrics.rateLimitDecisions.inc({
    bucket: 'global',
    action: decision.allowed ? 'allow' : 'block',
    shadow: 'false',
  });
  if (decision.allowed) {
    setRateLimitHeaders(reply, decision);
    return false;
  }
  sendRateLimited(request, reply, decision, `Rate limit exceeded: ${limit} requests per minute`);
  return true;
}

/** A per-route window (login, bookings); the caller decides the key. Returns the decision, already counted. */
export function applyRouteLimit(
  ctx: ApiContext,
  request: FastifyRequest,
  bucket: keyof ApiContext['limiters'],
  key: string,
  limit: number,
  windowMs = ctx.rateLimits.windowSeconds * 1000,
): LimitDecision | undefined {
  if (ctx.weak.has('no-rate-limit') || hasBypass(ctx, request)) return undefined;
  const decision = ctx.limiters[bucket].hit(key, limit, windowMs);
  ctx.metrics.rateLimitDecisions.inc({
    bucket,
    action: decision.allowed ? 'allow' : 'block',
    shadow: 'false',
  });
  return decision;
}
