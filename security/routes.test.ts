import { describe, expect, it } from 'vitest';
import { builtinRoutes, mergeRoutes, readOpenApiRoutes } from './routes.js';
import { parseRoutes } from './routes-file.js';

describe('routes', () => {
  it('reads OpenAPI routes under the API prefix with their security and parameters', () => {
    const routes = readOpenApiRoutes(
      {
        security: [{ bearer: [] }],
        paths: {
          '/api/v1/reports/{id}': {
            get: {
              parameters: [
                { name: 'id', in: 'path' },
                { name: 'format', in: 'query', schema: { type: 'string', default: 'pdf' } },
              ],
            },
          },
          '/api/v1/public/ping': { get: { security: [] } },
          '/docs': { get: {} },
        },
      },
      '/api/v1',
    );
    expect(routes).toEqual([
      {
        method: 'GET',
        path: '/reports/{id}',
        auth: 'user',
        params: [
          { name: 'id', in: 'path', sample: '01HZZZZZZZZZZZZZZZZZZZZZZZ', required: true },
          { name: 'format', in: 'query', sample: 'pdf', required: false },
        ],
        source: 'openapi',
      },
      { method: 'GET', path: '/public/ping', auth: 'none', params: [], source: 'openapi' },
    ]);
  });

  it('merges: built-in auth levels win, discovered parameters are added', () => {
    const merged = mergeRoutes(builtinRoutes, [
      {
        method: 'GET',
        path: '/search',
        auth: 'none',
        params: [{ name: 'lat', in: 'query', sample: '40.7', required: false }],
        source: 'openapi',
      },
      { method: 'GET', path: '/admin/users', auth: 'user', params: [], source: 'openapi' },
    ]);
    expect(merged.find((r) => r.path === '/search')!.params.map((p) => p.name)).toContain('lat');
    expect(merged.find((r) => r.path === '/admin/users')!.auth).toBe('admin');
  });

  it('parses a --routes file and names the bad key', () => {
    const routes = parseRoutes({
      routes: [
        {
          method: 'get',
          path: '/reports/{id}',
          auth: 'student',
          params: [{ name: 'id', in: 'path', sample: 'r1' }],
        },
      ],
    });
    expect(routes[0]).toEqual({
      method: 'GET',
      path: '/reports/{id}',
      auth: 'student',
      params: [{ name: 'id', in: 'path', sample: 'r1', required: true }],
      source: 'config',
    });
    expect(() => parseRoutes({ routes: [{ method: 'GET', path: 'reports' }] }, 'extra.yaml')).toThrow(
      'extra.yaml: routes[0].path must start with "/", got `"reports"`',
    );
    expect(() => parseRoutes({ routes: [{ method: 'GET', path: '/x', auth: 'root' }] })).toThrow(
      /routes\[0\]\.auth must be one of none, user/,
    );
  });
});
