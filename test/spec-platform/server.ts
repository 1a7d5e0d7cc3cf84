// The spec platform's HTTP server on node:http: routing, CORS, security headers, CSRF, the global limit, metrics.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ulid } from 'ulid';
import { handleLogin, handleMe } from './auth.js';
import { type AppContext, isDeployed, type RouteHandler } from './context.js';
import { HttpProblem, type RequestContext, sendJson, sendProblem } from './http-kit.js';
import { buildRateLimitHeaders, getClientIp, sendRateLimited } from './rate-limit.js';
import {
  handleCancelBooking,
  handleCheckAvailability,
  handleCreateBooking,
  handleGetBooking,
} from './routes-bookings.js';
import { handleAvailability, handleListInstructors } from './routes-catalog.js';
import {
  buildOpenApi,
  handleDocs,
  handleHealth,
  handleMetrics,
  handleReady,
  handleRedoc,
  handleSentryDebug,
} from './routes-ops.js';
import { handleSearch } from './routes-search.js';

interface Route {
  method: string;
  path: string;
  handler: RouteHandler;
}

const API = '/api/v1';
const ROUTES: Route[] = [
  { method: 'POST', path: `${API}/auth/login`, handler: handleLogin },
  { method: 'GET', path: `${API}/auth/me`, handler: handleMe },
  { method: 'GET', path: `${API}/search`, handler: handleSearch },
  { method: 'GET', path: `${API}/instructors`, handler: handleListInstructors },
  { method: 'GET', path: `${API}/public/instructors/{id}/availability`, handler: handleAvailability },
  { method: 'POST', path: `${API}/bookings`, handler: handleCreateBooking },
  { method: 'POST', path: `${API}/bookings/check-availability`, handler: handleCheckAvailability },
  { method: 'GET', path: `${API}/bookings/{id}`, handler: handleGetBooking },
  { method: 'POST', path: `${API}/bookings/{id}/cancel`, handler: handleCancelBooking },
  { method: 'GET', path: `${API}/health`, handler: handleHealth },
  { method: 'GET', path: `${API}/ready`, handler: handleReady },
  { method: 'GET', path: `${API}/metrics/prometheus`, handler: handleMetrics },
  { method: 'GET', path: '/docs', handler: handleDocs },
  { method: 'GET', path: '/redoc', handler: handleRedoc },
  { method: 'GET', path: '/openapi.json', handler: async (ctx, app) => sendJson(ctx, 200, openApiOf(app)) },
  { method: 'GET', path: '/sentry-debug', handler: handleSentryDebug },
];
/** Exempt from the global limit, as the platform's health checks are. */
const EXEMPT_PATHS = new Set([`${API}/health`, `${API}/ready`]);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PRODUCTION_HEADERS = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

const openApiOf = (app: AppContext) => buildOpenApi(ROUTES, app.settings.version);

/** Routes whose template matches the path, literal segments before `{param}` ones. */
function matchRoutes(path: string): Array<{ route: Route; params: Record<string, string> }> {
  const segments = path.split('/');
  const found: Array<{ route: Route; params: Record<string, string>; literal: boolean }> = [];
  for (const route of ROUTES) {
    const template = route.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literal = true;
    const matches = template.every((part, i) => {
      const segment = segments[i]!;
      if (part.startsWith('{')) {
        literal = false;
        params[part.slice(1, -1)] = decodeURIComponent(segment);
        return segment.length > 0;
      }
      return part === segment;
    });
    if (matches) found.push({ route, params, literal });
  }
  return found.sort((a, b) => Number(b.literal) - Number(a.literal));
}

function isSameToken(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const hostOf = (value: string | undefined): string | undefined => {
  try {
    return value ? new URL(value).host : undefined;
  } catch {
    return undefined;
  }
};

/** CORS headers for the configured origins (never `*`); returns whether the request's origin is allowed. */
function setCorsHeaders(ctx: RequestContext, app: AppContext): boolean {
  const origin = ctx.req.headers.origin;
  ctx.res.setHeader('Vary', 'Origin');
  const allowed = origin !== undefined && app.settings.corsOrigins.includes(origin);
  if (allowed) {
    ctx.res.setHeader('Access-Control-Allow-Origin', origin);
    ctx.res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  return allowed;
}

/** Answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method); returns true then. */
function answerPreflight(ctx: RequestContext, allowed: boolean): boolean {
  const { origin } = ctx.req.headers;
  const requestedMethod = ctx.req.headers['access-control-request-method'];
  if (ctx.method !== 'OPTIONS' || origin === undefined || requestedMethod === undefined) return false;
  if (!allowed) {
    ctx.res.writeHead(400, { 'Content-Type': 'text/plain' });
    ctx.res.end('Disallowed CORS origin');
    return true;
  }
  ctx.res.writeHead(200, {
    'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'Access-Control-Allow-Headers':
      ctx.req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, X-Request-ID',
    'Access-Control-Max-Age': '600',
    'Content-Length': '0',
  });
  ctx.res.end();
  return true;
}

function checkCsrf(ctx: RequestContext, app: AppContext): void {
  if (!(app.settings.csrf || isDeployed(app.settings)) || !UNSAFE_METHODS.has(ctx.method)) return;
  const expected = hostOf(app.settings.frontendOrigin);
  const given = hostOf(ctx.req.headers.origin) ?? hostOf(ctx.req.headers.referer);
  if (given === undefined || given !== expected)
    throw new HttpProblem(403, 'CSRF_ORIGIN_MISMATCH', 'Origin or Referer does not match the frontend');
}

/** The global per-IP limit; returns false after answering 429. */
function applyGlobalLimit(ctx: RequestContext, app: AppContext): boolean {
  const key = `global:${ctx.ip}`;
  const limit = app.settings.limits.globalPerIp;
  const exempt = ctx.bypass || ctx.method === 'OPTIONS' || EXEMPT_PATHS.has(ctx.path);
  const decision = exempt ? app.limiter.peek(key, limit) : app.limiter.take(key, limit);
  if (!exempt) {
    const action = decision.allowed ? 'allow' : 'block';
    app.metrics.rateLimitDecisions.inc({ bucket: 'global', action, shadow: 'false' });
  }
  for (const [name, value] of Object.entries(buildRateLimitHeaders(decision))) ctx.res.setHeader(name, value);
  if (decision.allowed || exempt) return true;
  sendRateLimited(ctx, decision);
  return false;
}

function describeError(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message))
    return new HttpProblem(503, 'DB_POOL_TIMEOUT', 'No database connection became free in time');
  return new HttpProblem(500, 'INTERNAL_ERROR', 'An unexpected error occurred');
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, app: AppContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://spec-platform.invalid');
  const incomingId = req.headers['x-request-id'];
  const ctx: RequestContext = {
    req,
    res,
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    params: {},
    requestId: typeof incomingId === 'string' && /^[\w.-]{1,64}$/.test(incomingId) ? incomingId : ulid(),
    ip: getClientIp(req),
    bypass: isSameToken(req.headers['x-rate-limit-bypass'], app.settings.bypassToken),
  };
  let matches: ReturnType<typeof matchRoutes> = [];
  try {
    matches = matchRoutes(ctx.path);
  } catch {
    // a malformed percent-escape in a path parameter matches nothing
  }
  const chosen = matches.find((m) => m.route.method === ctx.method);
  const endpoint = chosen?.route.path ?? (matches[0]?.route.path || 'unmatched');
  const started = process.hrtime.bigint();
  const inProgress = { method: ctx.method, endpoint };
  app.metrics.requestsInProgress.inc(inProgress);
  res.once('close', () => {
    const labels = { method: ctx.method, endpoint, status_code: String(res.statusCode) };
    app.metrics.requestsInProgress.dec(inProgress);
    app.metrics.requestsTotal.inc(labels);
    app.metrics.requestDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
  res.setHeader('X-Request-ID', ctx.requestId);
  if (app.settings.environment === 'production')
    for (const [name, value] of Object.entries(PRODUCTION_HEADERS)) res.setHeader(name, value);
  try {
    const corsAllowed = setCorsHeaders(ctx, app);
    if (!applyGlobalLimit(ctx, app)) return;
    if (answerPreflight(ctx, corsAllowed)) return;
    checkCsrf(ctx, app);
    if (matches.length === 0) throw new HttpProblem(404, 'NOT_FOUND', 'Not Found');
    if (!chosen) {
      const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
      throw new HttpProblem(405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed', { headers: { Allow: allow } });
    }
    ctx.params = chosen.params;
    await chosen.route.handler(ctx, app);
  } catch (error) {
    if (!res.headersSent) sendProblem(ctx, describeError(error));
    else res.destroy();
  }
}

/** The server; the caller listens and closes it. */
export function createSpecServer(app: AppContext): Server {
  const server = createServer((req, res) => {
    void handleRequest(req, res, app);
  });
  // longer than a client's idle pool, so a reused socket is not closed under a request
  server.keepAliveTimeout = 65_000;
  return server;
}
