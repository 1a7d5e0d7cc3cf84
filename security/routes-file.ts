/** Reads extra routes for the scan (`--routes file.yaml`): what the OpenAPI document and the built-in list do not know. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PreflightError } from '../src/core/errors.js';
import type { RouteAuth, RouteParam, RouteSpec } from './routes.js';

const auths: RouteAuth[] = ['none', 'user', 'student', 'instructor', 'admin'];
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const places: Array<RouteParam['in']> = ['query', 'path', 'body'];

export function readRoutesFile(path: string): RouteSpec[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PreflightError(
      'E_CONFIG',
      `Cannot read routes file ${path}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return parseRoutes(raw, path);
}

export function parseRoutes(raw: unknown, source = 'routes'): RouteSpec[] {
  const list = (raw as { routes?: unknown })?.routes;
  const fail = (where: string, message: string) =>
    new PreflightError('E_CONFIG', `${source}: ${where} ${message}`, {
      hint: 'see "Extra routes" in security/README.md',
    });
  if (!Array.isArray(list)) throw fail('routes', 'must be a list');
  return list.map((entry: Record<string, unknown>, i): RouteSpec => {
    const where = `routes[${i}]`;
    const method = String(entry?.method ?? '').toUpperCase();
    if (!methods.includes(method))
      throw fail(
        `${where}.method`,
        `must be one of ${methods.join(', ')}, got \`${JSON.stringify(entry?.method)}\``,
      );
    if (typeof entry.path !== 'string' || !entry.path.startsWith('/'))
      throw fail(`${where}.path`, `must start with "/", got \`${JSON.stringify(entry.path)}\``);
    const auth = (entry.auth ?? 'user') as RouteAuth;
    if (!auths.includes(auth))
      throw fail(
        `${where}.auth`,
        `must be one of ${auths.join(', ')}, got \`${JSON.stringify(entry.auth)}\``,
      );
    const params = ((entry.params ?? []) as Array<Record<string, unknown>>).map((param, j): RouteParam => {
      const at = `${where}.params[${j}]`;
      if (typeof param?.name !== 'string' || param.name === '')
        throw fail(`${at}.name`, 'must be a non-empty string');
      const place = (param.in ?? 'query') as RouteParam['in'];
      if (!places.includes(place))
        throw fail(`${at}.in`, `must be query, path or body, got \`${JSON.stringify(param.in)}\``);
      return {
        name: param.name,
        in: place,
        sample: String(param.sample ?? 'test'),
        required: Boolean(param.required ?? place === 'path'),
      };
    });
    return { method, path: entry.path, auth, params, source: 'config' };
  });
}
