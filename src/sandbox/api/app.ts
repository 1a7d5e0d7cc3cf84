/** Builds the twin's Fastify app: hooks for headers, CORS, rate limits and CSRF, problem+json errors, metrics, and every route. */
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { type ApiContext, isDatabaseUnavailable, type SqlError } from './context.js';
import { ApiError, buildProblem } from './problem.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerBookingRoutes } from './routes/bookings.js';
import { registerDocsRoutes } from './routes/docs.js';
import { registerHealthRoutes, registerPrivilegedMetricsRoute } from './routes/health.js';
import { registerInstructorRoutes } from './routes/instructors.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerUserRoutes } from './routes/users.js';
import {
  API_PREFIX,
  answerPreflight,
  applyGlobalRateLimit,
  rejectCrossSiteWrite,
  setCorsHeaders,
  setSecurityHeaders,
} from './security.js';

const BODY_LIMIT = 1024 * 1024;

/** The route template as the platform's FastAPI labels it (`/api/v1/bookings/{id}`), so series stay bounded. */
function getEndpoint(request: FastifyRequest): string {
  return request.routeOptions.url?.replace(/:(\w+)/g, '{$1}') ?? 'unmatched';
}

/** Maps an error to a problem: expected API errors as they are, pool and database failures as 503, the rest as 500. */
function describeError(
  ctx: ApiContext,
  error: FastifyError | ApiError | SqlError,
): { status: number; code: string; detail: string; extra: Record<string, unknown> } {
  if (error instanceof ApiError)
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      extra: { errors: error.errors ?? [], ...error.extra },
    };
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'Request body exceeds 1 MiB', extra: {} };
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status =
      fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 415
        : fastifyError.statusCode === 400
          ? 422
          : fastifyError.statusCode;
    return {
      status,
      code: status === 422 ? 'VALIDATION_ERROR' : 'BAD_REQUEST',
      detail: fastifyError.message,
      extra: {},
    };
  }
  if (/timeout exceeded when trying to connect/i.test(error.message)) {
    return {
      status: 503,
      code: 'DB_POOL_TIMEOUT',
      detail: 'No database connection became free in time',
      extra: {},
    };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, code: 'DB_UNAVAILABLE', detail: 'The database is unavailable', extra: {} };
  }
  const verbose = ctx.weak.has('verbose-errors');
  return {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    detail: verbose ? `${error.name}: ${error.message}` : 'Internal Server Error',
    extra: verbose ? { stack: error.stack, sql: (error as SqlError).sql } : {},
  };
}

export async function buildApp(ctx: ApiContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
  });
  await app.register(cookie);
  await app.register(formbody);
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: route.url });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    setSecurityHeaders(reply);
    ctx.metrics.httpInProgress.inc({ method: request.method, endpoint: getEndpoint(request) });
    const corsAllowed = setCorsHeaders(ctx, request, reply);
    if (applyGlobalRateLimit(ctx, request, reply)) return reply;
    if (answerPreflight(request, reply, corsAllowed)) return reply;
    if (rejectCrossSiteWrite(ctx, request, reply)) return reply;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (
      (request as FastifyRequest & { authenticated?: boolean }).authenticated ||
      request.headers.authorization ||
      request.cookies?.sid
    ) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const endpoint = getEndpoint(request);
    const labels = { method: request.method, endpoint, status_code: String(reply.statusCode) };
    ctx.metrics.httpInProgress.dec({ method: request.method, endpoint });
    ctx.metrics.httpTotal.inc(labels);
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const problem = describeError(ctx, error);
    if (problem.status === 500) request.log.error(error);
    return reply
      .code(problem.status)
      .type('application/problem+json')
      .send(buildProblem(request, problem.status, problem.code, problem.detail, problem.extra));
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send(
        buildProblem(
          request,
          404,
          'NOT_FOUND',
          `No route for ${request.method} ${request.url.split('?')[0]}`,
        ),
      ),
  );

  await app.register(
    async (api) => {
      registerHealthRoutes(api, ctx);
      registerAuthRoutes(api, ctx);
      registerSearchRoutes(api, ctx);
      registerInstructorRoutes(api, ctx);
      registerBookingRoutes(api, ctx);
      registerUserRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  registerPrivilegedMetricsRoute(app, ctx);
  registerDocsRoutes(app, ctx, routes);
  return app;
}
