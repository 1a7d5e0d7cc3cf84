import { describe, expect, it } from 'vitest';
import { defaultPlatform, mergePlatform } from '../src/core/platform/defaults.js';
import { getBuiltinRoutes, mergeRoutes, readOpenApiRoutes } from './routes.js';
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

  it('built-in routes are the spec routes of the platform profile, with their required query parameters', () => {
    const routes = getBuiltinRoutes(defaultPlatform);
    expect(routes.map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual([
      'GET /health none',
      'GET /ready none',
      'GET /auth/me user',
      'GET /search none',
      'GET /instructors none',
      'GET /public/instructors/{instructor_id}/availability none',
      'POST /bookings student',
      'POST /bookings/check-availability user',
      'GET /bookings/{booking_id} user',
      'POST /bookings/{booking_id}/cancel user',
    ]);
    const required = (path: string) =>
      routes
        .find((r) => r.path === path)!
        .params.filter((p) => p.required)
        .map((p) => `${p.in}:${p.name}`);
    expect(required('/instructors')).toEqual(['query:service_catalog_id']);
    expect(required('/public/instructors/{instructor_id}/availability')).toEqual([
      'path:instructor_id',
      'query:start_date',
      'query:end_date',
    ]);
    expect(required('/search')).toEqual(['query:q']);
  });

  it('built-in routes follow a target override of the profile (path, method, required parameters)', () => {
    const profile = mergePlatform(defaultPlatform, {
      routes: {
        search: { method: 'GET', path: '/v2/find', requiredQuery: ['query', 'city'] },
        getBooking: { method: 'GET', path: '/reservations/{booking_id}', requiredQuery: [] },
      },
      search: { queryParam: 'query' },
    });
    const routes = getBuiltinRoutes(profile);
    expect(routes.some((r) => r.path === '/search')).toBe(false);
    const find = routes.find((r) => r.path === '/v2/find')!;
    expect(find.params.filter((p) => p.required).map((p) => `${p.name}=${p.sample}`)).toEqual([
      'query=piano',
      'city=test',
    ]);
    expect(routes.find((r) => r.name === 'getBooking')!.path).toBe('/reservations/{booking_id}');
  });

  it('merges: built-in auth levels win, discovered parameters are added', () => {
    const merged = mergeRoutes(getBuiltinRoutes(defaultPlatform), [
      {
        method: 'GET',
        path: '/search',
        auth: 'none',
        params: [{ name: 'lat', in: 'query', sample: '40.7', required: false }],
        source: 'openapi',
      },
      { method: 'GET', path: '/auth/me', auth: 'none', params: [], source: 'openapi' },
      { method: 'GET', path: '/admin/users', auth: 'user', params: [], source: 'openapi' },
    ]);
    expect(merged.find((r) => r.path === '/search')!.params.map((p) => p.name)).toContain('lat');
    expect(merged.find((r) => r.path === '/auth/me')!.auth).toBe('user');
    expect(merged.find((r) => r.path === '/admin/users')!.source).toBe('openapi');
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
