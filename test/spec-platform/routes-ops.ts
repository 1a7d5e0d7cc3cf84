// Health, readiness, Prometheus metrics, the API docs and /sentry-debug.
import type { AppContext } from './context.js';
import { HttpProblem, type RequestContext, sendJson } from './http-kit.js';

export async function handleHealth(ctx: RequestContext, app: AppContext): Promise<void> {
  sendJson(ctx, 200, {
    status: 'healthy',
    service: 'instainstru-api',
    version: app.settings.version,
    environment: app.settings.environment,
    timestamp: new Date().toISOString(),
    git_sha: app.settings.gitSha,
  });
}

export async function handleReady(ctx: RequestContext, app: AppContext): Promise<void> {
  try {
    await app.pool.query('SELECT 1');
  } catch {
    throw new HttpProblem(503, 'SERVICE_UNAVAILABLE', 'The database does not answer');
  }
  sendJson(ctx, 200, { status: 'ready' });
}

export async function handleMetrics(ctx: RequestContext, app: AppContext): Promise<void> {
  const text = await app.metrics.registry.metrics();
  ctx.res.writeHead(200, { 'Content-Type': app.metrics.registry.contentType });
  ctx.res.end(text);
}

function sendHtml(ctx: RequestContext, title: string): void {
  const html = `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>The schema is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;
  ctx.res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  ctx.res.end(html);
}

export const handleDocs = async (ctx: RequestContext) => sendHtml(ctx, 'InstaInstru API - Swagger UI');
export const handleRedoc = async (ctx: RequestContext) => sendHtml(ctx, 'InstaInstru API - ReDoc');

export async function handleSentryDebug(): Promise<void> {
  throw new Error('sentry-debug: a deliberate error');
}

/** A minimal OpenAPI document listing exactly the served routes. */
export function buildOpenApi(routes: Array<{ method: string; path: string }>, version: string) {
  const paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = { responses: { '200': { description: 'OK' } } };
  }
  return { openapi: '3.1.0', info: { title: 'InstaInstru API', version }, paths };
}
