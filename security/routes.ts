/** The routes probes exercise: the platform's built-in list, plus whatever the target's OpenAPI document adds. */
import type { ScanHttp } from './http.js';

export type RouteAuth = 'none' | 'user' | 'student' | 'instructor' | 'admin';

export interface RouteParam {
  name: string;
  in: 'query' | 'path' | 'body';
  /** A benign value that gives a normal answer. */
  sample: string;
  required: boolean;
}

export interface RouteSpec {
  method: string;
  /** Path under the API prefix with {name} placeholders. */
  path: string;
  auth: RouteAuth;
  params: RouteParam[];
  source: 'builtin' | 'openapi' | 'config';
}

const q = (name: string, sample: string, required = false): RouteParam => ({
  name,
  in: 'query',
  sample,
  required,
});
const p = (name: string, sample: string): RouteParam => ({ name, in: 'path', sample, required: true });
const b = (name: string, sample: string, required = false): RouteParam => ({
  name,
  in: 'body',
  sample,
  required,
});
const sampleId = '01HZZZZZZZZZZZZZZZZZZZZZZZ';

/** The InstaInstru routes (platform.md), used when no OpenAPI document is reachable and merged with it otherwise. */
export const builtinRoutes: RouteSpec[] = [
  { method: 'GET', path: '/health', auth: 'none', params: [], source: 'builtin' },
  {
    method: 'GET',
    path: '/search',
    auth: 'none',
    params: [
      q('q', 'piano', true),
      q('region', 'manhattan'),
      q('subcategory_id', sampleId),
      q('skill_level', 'beginner'),
    ],
    source: 'builtin',
  },
  {
    method: 'GET',
    path: '/instructors',
    auth: 'none',
    params: [
      q('service_catalog_id', sampleId),
      q('min_price', '10'),
      q('max_price', '200'),
      q('page', '1'),
      q('per_page', '20'),
    ],
    source: 'builtin',
  },
  {
    method: 'GET',
    path: '/public/instructors/{id}/availability',
    auth: 'none',
    params: [p('id', sampleId), q('start_date', '2030-01-07'), q('end_date', '2030-01-08')],
    source: 'builtin',
  },
  { method: 'GET', path: '/auth/me', auth: 'user', params: [], source: 'builtin' },
  { method: 'GET', path: '/bookings', auth: 'user', params: [q('status', 'PENDING')], source: 'builtin' },
  { method: 'GET', path: '/bookings/{id}', auth: 'user', params: [p('id', sampleId)], source: 'builtin' },
  { method: 'POST', path: '/bookings', auth: 'student', params: [], source: 'builtin' },
  {
    method: 'POST',
    path: '/bookings/check-availability',
    auth: 'user',
    params: [
      b('instructor_id', sampleId, true),
      b('booking_date', '2030-01-07', true),
      b('start_time', '10:00', true),
    ],
    source: 'builtin',
  },
  {
    method: 'POST',
    path: '/bookings/{id}/cancel',
    auth: 'user',
    params: [p('id', sampleId)],
    source: 'builtin',
  },
  { method: 'PATCH', path: '/users/me', auth: 'user', params: [], source: 'builtin' },
  { method: 'GET', path: '/instructors/me/bookings', auth: 'instructor', params: [], source: 'builtin' },
  { method: 'GET', path: '/admin/users', auth: 'admin', params: [], source: 'builtin' },
];

export interface RouteCatalog {
  routes: RouteSpec[];
  /** Where the OpenAPI document was found, when it was. */
  openapiUrl: string | undefined;
}

const openapiLocations = [{ rootPath: '/openapi.json' }, { path: '/openapi.json' }];

/** Reads the target's OpenAPI document (when served) and merges its routes with the built-in list. */
export async function discoverRoutes(http: ScanHttp, extra: RouteSpec[] = []): Promise<RouteCatalog> {
  for (const location of openapiLocations) {
    const response = await http.send({ method: 'GET', ...location });
    if (response.status !== 200) continue;
    try {
      const document = response.json<OpenApiDocument>();
      if (!document.paths) continue;
      return {
        routes: mergeRoutes([...builtinRoutes, ...extra], readOpenApiRoutes(document, apiPrefixOf(http))),
        openapiUrl: response.url,
      };
    } catch {}
  }
  return { routes: mergeRoutes(builtinRoutes, extra), openapiUrl: undefined };
}

function apiPrefixOf(http: ScanHttp): string {
  return new URL(http.target.apiBase).pathname.replace(/\/+$/, '');
}

interface OpenApiOperation {
  security?: unknown[];
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    schema?: { type?: string; example?: unknown; default?: unknown };
  }>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  security?: unknown[];
}

const methods = ['get', 'post', 'put', 'patch', 'delete'];

/** Routes of an OpenAPI 3 document, paths made relative to the API prefix. */
export function readOpenApiRoutes(document: OpenApiDocument, apiPrefix: string): RouteSpec[] {
  const routes: RouteSpec[] = [];
  for (const [rawPath, item] of Object.entries(document.paths ?? {})) {
    if (apiPrefix && !rawPath.startsWith(apiPrefix)) continue;
    const path = rawPath.slice(apiPrefix.length) || '/';
    for (const [method, operation] of Object.entries(item)) {
      if (!methods.includes(method)) continue;
      const security = operation.security ?? document.security ?? [];
      const params: RouteParam[] = (operation.parameters ?? [])
        .filter((param) => param.in === 'query' || param.in === 'path')
        .map((param) => ({
          name: param.name,
          in: param.in as 'query' | 'path',
          sample: sampleFor(param),
          required: Boolean(param.required) || param.in === 'path',
        }));
      routes.push({
        method: method.toUpperCase(),
        path,
        auth: security.length > 0 ? 'user' : 'none',
        params,
        source: 'openapi',
      });
    }
  }
  return routes;
}

function sampleFor(param: {
  name: string;
  schema?: { type?: string; example?: unknown; default?: unknown };
}): string {
  const given = param.schema?.example ?? param.schema?.default;
  if (given !== undefined && given !== null) return String(given);
  if (param.schema?.type === 'integer' || param.schema?.type === 'number') return '1';
  if (/_id$|^id$/.test(param.name)) return sampleId;
  if (/date/.test(param.name)) return '2030-01-07';
  return 'test';
}

/** Built-in knowledge wins on auth level and samples; OpenAPI adds routes and parameters it does not know. */
export function mergeRoutes(known: RouteSpec[], discovered: RouteSpec[]): RouteSpec[] {
  const byKey = new Map(known.map((r) => [`${r.method} ${r.path}`, { ...r, params: [...r.params] }]));
  for (const route of discovered) {
    const key = `${route.method} ${route.path}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, route);
      continue;
    }
    for (const param of route.params) {
      if (!existing.params.some((x) => x.name === param.name && x.in === param.in))
        existing.params.push(param);
    }
  }
  return [...byKey.values()];
}

/** Fills {placeholders} of a route path. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? sampleId));
}

export function isSecured(route: RouteSpec): boolean {
  return route.auth !== 'none';
}
