/** GET /health, GET /ready, GET /metrics/prometheus and the Supabase-like privileged metrics endpoint. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ApiContext, query } from '../context.js';
import { sendProblem } from '../problem.js';

function isAuthorized(request: FastifyRequest, username: string, password: string): boolean {
  const header = request.headers.authorization ?? '';
  if (!/^basic\s+/i.test(header)) return false;
  const given = Buffer.from(Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8'));
  const expected = Buffer.from(`${username}:${password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function challenge(request: FastifyRequest, reply: FastifyReply) {
  reply.header('www-authenticate', 'Basic realm="metrics"');
  return sendProblem(request, reply, 401, 'NOT_AUTHENTICATED', 'Metrics need basic authentication');
}

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', async () => ({
    status: 'healthy',
    service: ctx.info.service,
    version: ctx.info.version,
    environment: ctx.info.environment,
    timestamp: new Date().toISOString(),
    git_sha: ctx.info.gitSha,
  }));

  app.get('/ready', async (request, reply) => {
    try {
      await query(ctx.pool, 'SELECT 1');
      return { status: 'ready', database: 'ok' };
    } catch (error) {
      return sendProblem(
        request,
        reply,
        503,
        'NOT_READY',
        `Database check failed: ${(error as Error).message}`,
      );
    }
  });

  app.get('/metrics/prometheus', async (request, reply) => {
    if (
      !ctx.weak.has('metrics-public') &&
      !isAuthorized(request, ctx.metricsAuth.username, ctx.metricsAuth.password)
    )
      return challenge(request, reply);
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}

/** Registered outside /api/v1, as Supabase serves it: connection counts read from the database. */
export function registerPrivilegedMetricsRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/customer/v1/privileged/metrics', async (request, reply) => {
    if (!ctx.weak.has('metrics-public') && !isAuthorized(request, 'service_role', ctx.metricsAuth.password))
      return challenge(request, reply);
    const [backends, settings] = await Promise.all([
      query<{ datname: string; numbackends: number }>(
        ctx.pool,
        'SELECT datname, numbackends FROM pg_stat_database WHERE datname IS NOT NULL ORDER BY datname',
      ),
      query<{ max_connections: string }>(
        ctx.pool,
        `SELECT current_setting('max_connections') AS max_connections`,
      ),
    ]);
    const lines = [
      '# HELP pg_stat_database_numbackends Number of backends currently connected to this database.',
      '# TYPE pg_stat_database_numbackends gauge',
      ...backends.rows.map((r) => `pg_stat_database_numbackends{datname="${r.datname}"} ${r.numbackends}`),
      '# HELP pg_settings_max_connections Sets the maximum number of concurrent connections.',
      '# TYPE pg_settings_max_connections gauge',
      `pg_settings_max_connections ${settings.rows[0]?.max_connections ?? 0}`,
    ];
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return `${lines.join('\n')}\n`;
  });
}
