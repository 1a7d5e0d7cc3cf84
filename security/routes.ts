/**
 * The routes probes exercise: the spec's routes as the target's platform profile names them (`target.platform.routes`,
 * with their required query parameters), plus whatever the target's OpenAPI document and `--routes` add.
 * Nothing here names a route path: paths come from the profile.
 */
import type { PlatformProfile, PlatformRouteName } from '../src/core/platform/defaults.js';
import { addDays } from '../src/core/platform/discovery.js';
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
  /** The profile's name for a built-in route. */
  name?: PlatformRouteName;
}

export const sampleId = '01HZZZZZZZZZZZZZZZZZZZZZZZ';

/**
 * How the scanner treats each route of the profile: who may call it, and the optional parameters the spec lists
 * (query parameters unless marked body). `undefined`: not a target of the generic probes (login, refresh and metrics
 * have probes of their own).
 */
const routeUse = (
  profile: PlatformProfile,
): Record<PlatformRouteName, { auth: RouteAuth; optional?: string[]; body?: string[] } | undefined> => ({
  health: { auth: 'none' },
  ready: { auth: 'none' },
  login: undefined,
  me: { auth: 'user' },
  refresh: undefined,
  search: {
    auth: 'none',
    optional: ['region', 'subcategory_id', 'skill_level', profile.search.limitParam],
  },
  instructors: {
    auth: 'none',
    optional: ['min_price', 'max_price', 'page', profile.instructors.perPageParam],
  },
  availability: { auth: 'none' },
  createBooking: { auth: 'student' },
  // any signed-in user may ask; its body fields are injection targets
  checkAvailability: {
    auth: 'user',
    body: ['instructor_id', 'instructor_service_id', 'booking_date', 'start_time'],
  },
  getBooking: { auth: 'user' },
  cancelBooking: { auth: 'user' },
  metrics: undefined,
});

/** A value that gives a normal answer for a parameter of the spec's routes. */
export function sampleFor(name: string, profile?: PlatformProfile): string {
  if (profile) {
    if (name === profile.search.queryParam) return 'piano';
    if (name === profile.availability.startParam) return addDays(7);
    if (name === profile.availability.endParam) return addDays(8);
  }
  if (/_id$|^id$/.test(name)) return sampleId;
  if (/date/.test(name)) return addDays(7);
  if (/time/.test(name)) return '10:00';
  if (/duration/.test(name)) return '60';
  if (/price/.test(name)) return name.startsWith('min') ? '10' : '200';
  if (name === 'page') return '1';
  if (/per_page|limit/.test(name)) return '20';
  if (name === 'region') return 'manhattan';
  if (name === 'skill_level') return 'beginner';
  return 'test';
}

/** The spec's routes from the target's platform profile: only these, with their required query parameters. */
export function getBuiltinRoutes(profile: PlatformProfile): RouteSpec[] {
  const routes: RouteSpec[] = [];
  const uses = routeUse(profile);
  for (const [name, route] of Object.entries(profile.routes) as Array<
    [PlatformRouteName, PlatformProfile['routes'][PlatformRouteName]]
  >) {
    const use = uses[name];
    if (!use) continue;
    const params: RouteParam[] = [];
    for (const placeholder of route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g))
      params.push({ name: placeholder[1]!, in: 'path', sample: sampleId, required: true });
    for (const query of route.requiredQuery)
      params.push({ name: query, in: 'query', sample: sampleFor(query, profile), required: true });
    for (const query of use.optional ?? [])
      if (!params.some((p) => p.name === query))
        params.push({ name: query, in: 'query', sample: sampleFor(query, profile), required: false });
    for (const field of use.body ?? [])
      params.push({ name: field, in: 'body', sample: sampleFor(field, profile), required: true });
    routes.push({ method: route.method, path: route.path, auth: use.auth, params, source: 'builtin', name });
  }
  return routes;
}

export interface RouteCatalog {
  routes: RouteSpec[];
  /** Where the OpenAPI document was found, when it was. */
  openapiUrl: string | undefined;
}

/** Reads the target's OpenAPI document (when served) and merges its routes with the built-in list. */
export async function discoverRoutes(http: ScanHttp, extra: RouteSpec[] = []): Promise<RouteCatalog> {
  const profile = http.target.platform;
  const builtin = getBuiltinRoutes(profile);
  const openapiPath = profile.rootPaths.openapi;
  for (const location of [{ rootPath: openapiPath }, { path: openapiPath }]) {
    const response = await http.send({ method: 'GET', ...location });
    if (response.status !== 200) continue;
    try {
      const document = response.json<OpenApiDocument>();
      if (!document.paths) continue;
      return {
        routes: mergeRoutes([...builtin, ...extra], readOpenApiRoutes(document, apiPrefixOf(http))),
        openapiUrl: response.url,
      };
    } catch {}
  }
  return { routes: mergeRoutes(builtin, extra), openapiUrl: undefined };
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
          sample: sampleForOpenApi(param),
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

function sampleForOpenApi(param: {
  name: string;
  schema?: { type?: string; example?: unknown; default?: unknown };
}): string {
  const given = param.schema?.example ?? param.schema?.default;
  if (given !== undefined && given !== null) return String(given);
  if (param.schema?.type === 'integer' || param.schema?.type === 'number') return '1';
  return sampleFor(param.name);
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
