/** Developer surfaces: /docs, /redoc, /openapi.json (`docs-exposed`) and /sentry-debug (`debug-route`); the platform serves all of them everywhere. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export function registerDocsRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  routes: Array<{ method: string; url: string }>,
): void {
  if (ctx.weak.has('debug-route')) {
    const raise = async () => {
      throw new Error('division by zero');
    };
    app.get('/sentry-debug', raise);
    app.get('/api/v1/sentry-debug', raise);
  }
  if (!ctx.weak.has('docs-exposed')) return;
  app.get('/openapi.json', async () => {
    const paths: Record<string, Record<string, { summary: string }>> = {};
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      paths[path] ??= {};
      (paths[path] as Record<string, { summary: string }>)[route.method.toLowerCase()] = {
        summary: `${route.method} ${path}`,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'InstaInstru API (sandbox twin)', version: ctx.info.version },
      paths,
    };
  });
  const page = (title: string) => async (_request: unknown, reply: { type(t: string): void }) => {
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>Spec: <a href="/openapi.json">/openapi.json</a></p></body></html>`;
  };
  app.get('/docs', page('InstaInstru API - Swagger UI'));
  app.get('/redoc', page('InstaInstru API - ReDoc'));
}
