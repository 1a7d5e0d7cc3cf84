/** The `platform:` key of a target in preflight.yaml, generated from the defaults so the two cannot drift. */
import { array, type Node, number, object, oneOf, string } from '../config/schema-kit.js';
import { defaultPlatform, type PlatformProfile } from './defaults.js';

const groupDescriptions: Record<string, string> = {
  '': 'What preflight assumes about the platform (routes, response fields, metric names, invariant queries); defaults from the platform spec, any key overridable',
  apiPrefix: 'Path prefix of every route in `routes`',
  routes:
    'Routes preflight calls: method, path under apiPrefix with {placeholders}, required query parameters',
  rootPaths: 'Paths outside the API prefix (relative to baseUrl) that the scan checks',
  auth: 'Login form fields, cookies and auth-related codes',
  search: 'Search request parameters and the response fields preflight reads',
  instructors: 'Instructor listing parameters and fields',
  availability: 'Public availability route parameters and fields',
  booking: 'Booking answers and body values',
  rateLimit: 'Rate-limit headers and codes',
  metrics: 'Names of the metrics the platform exports',
  database: 'SQL preflight runs against the platform database (read-only URL unless noted)',
  'database.appRole':
    "Role the platform's API connects as; `load run connection-loss` terminates its sessions (empty: match by application name only; both empty: every client session of the admin URL's database but preflight's own)",
  'database.appApplicationName':
    "application_name of the platform's API sessions; `load run connection-loss` terminates them (empty: match by role only; both empty: every client session of the admin URL's database but preflight's own)",
  slot: 'An explicit bookable slot (instructor id, instructor_service id, YYYY-MM-DD date, HH:MM start); used when set, else discovered through search and availability',
  discoveryQueries: 'Search queries whose best matches are tried when discovering a bookable slot',
  cors: 'Cross-origin settings of the platform',
  'cors.trustedOrigins':
    "Browser origins of the platform's own frontends that CORS may trust (the scan does not report them)",
};

const routeDescriptions: Record<string, string> = {
  health: 'liveness, no database (scan, doctor, monitoring)',
  ready: 'readiness: database and cache (doctor, monitoring)',
  login: 'form login with username and password; sets the access cookie (every authenticated step)',
  me: 'current user (session checks, JWT, CORS and authz probes)',
  refresh: 'token refresh (authn probes)',
  search:
    'natural-language search (search-check, search-mix, browse-and-book, slot discovery, injection probes)',
  instructors: 'instructor listing by catalog entry (injection and resource probes)',
  availability: 'public availability of an instructor (slot discovery, browse flows)',
  createBooking: 'create a booking as a student (booking-race, browse-and-book, authz probes)',
  checkAvailability: 'check whether a slot is free (browse-and-book, rate-limit-conformance)',
  getBooking: 'one booking, visible to its student or instructor (clean-up check, BOLA probe)',
  cancelBooking: 'cancel a booking (clean-up)',
  metrics: 'Prometheus metrics (sampler, monitoring inventory, exposure probe)',
};

function describeLeaf(path: string[]): string {
  const [group, key] = path;
  const explicit = groupDescriptions[path.join('.')];
  if (explicit) return explicit;
  if (group === 'routes' && key) return `Route ${key}: ${routeDescriptions[key] ?? key}`;
  if (group === 'metrics') return `Metric name: ${key}`;
  if (key?.endsWith('Field')) return `Response field: ${key.slice(0, -'Field'.length)}`;
  if (key?.endsWith('Param')) return `Query parameter: ${key.slice(0, -'Param'.length)}`;
  return `${group} ${key ?? ''}`.trim();
}

function buildNode(value: unknown, path: string[]): Node<unknown> {
  const description = describeLeaf(path);
  const leaf = path[path.length - 1];
  if (typeof value === 'string') {
    if (leaf === 'method')
      return oneOf(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const, {
        description: 'HTTP method',
        default: value as 'GET',
      }) as Node<unknown>;
    return string({ description, default: value }) as Node<unknown>;
  }
  if (typeof value === 'number') return number({ description, default: value }) as Node<unknown>;
  if (Array.isArray(value))
    return array(string({ description: 'A value' }), {
      description,
      default: value as string[],
    }) as Node<unknown>;
  const shape: Record<string, Node<unknown>> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = [...path, key];
    const node = buildNode(child, childPath);
    shape[key] =
      path[0] === 'routes' && path.length === 2 && key === 'path'
        ? (string({
            description: 'Path under apiPrefix with {placeholders}',
            default: child as string,
          }) as Node<unknown>)
        : path[0] === 'routes' && path.length === 2 && key === 'requiredQuery'
          ? (array(string({ description: 'A parameter name' }), {
              description: 'Query parameters the route requires',
              default: child as string[],
            }) as Node<unknown>)
          : node;
  }
  return object(shape, { description }) as Node<unknown>;
}

export const platformSchema = buildNode(defaultPlatform, []) as Node<PlatformProfile>;
