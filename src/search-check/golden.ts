/** Reads and validates a golden query file (YAML); every error names the entry and the field. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { PreflightError } from '../core/errors.js';
import { type CatalogIndex, createCatalogIndex } from './catalog.js';

export interface GoldenQuery {
  /** The query text sent as `q`. */
  q: string;
  /** Expected catalog service (its golden-file name), or null: any service is right. */
  service: string | null;
  /** Price bound stated by the query, or null. */
  maxPrice: number | null;
  /** When set, `meta.parsed.service_query` must equal it (normalized). */
  parsedServiceQuery?: string;
  tags: string[];
}

export interface GoldenSet {
  source: string;
  catalog: CatalogIndex;
  queries: GoldenQuery[];
}

/** The golden set kept in the repo. */
export const defaultGoldenPath = fileURLToPath(new URL('./golden-queries.yaml', import.meta.url));

/** Loads a golden query file. */
export function loadGoldenSet(path = defaultGoldenPath): GoldenSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      error,
    );
  }
  return parseGoldenSet(text, path);
}

/** Parses and validates golden query YAML. */
export function parseGoldenSet(text: string, source: string): GoldenSet {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw invalid(source, `is not valid YAML: ${(error as Error).message.split('\n')[0]}`, error);
  }
  if (!isRecord(raw)) throw invalid(source, 'must be a mapping with `catalog` and `queries`');
  const catalog = createCatalogIndex(readCatalog(raw.catalog, source));
  if (!Array.isArray(raw.queries) || raw.queries.length === 0) {
    throw invalid(source, '`queries` must be a non-empty list');
  }
  const seen = new Set<string>();
  const queries = raw.queries.map((entry, index) => {
    const query = readQuery(entry, index, source, catalog);
    if (seen.has(query.q.toLowerCase()))
      throw invalid(source, `${at(index, query.q)}: field \`q\` repeats an earlier query`);
    seen.add(query.q.toLowerCase());
    return query;
  });
  return { source, catalog, queries };
}

function readCatalog(
  value: unknown,
  source: string,
): Record<string, Array<{ name: string; aliases?: string[] }>> {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    throw invalid(source, '`catalog` must map each category to its services, e.g. `Music: [piano, guitar]`');
  }
  const out: Record<string, Array<{ name: string; aliases?: string[] }>> = {};
  for (const [category, services] of Object.entries(value)) {
    if (!Array.isArray(services) || services.length === 0) {
      throw invalid(
        source,
        `catalog.${category} must be a non-empty list of service names, got ${show(services)}`,
      );
    }
    out[category] = services.map((s, i) => {
      if (typeof s === 'string' && s.trim()) return { name: s.trim() };
      if (isRecord(s) && typeof s.name === 'string' && s.name.trim()) {
        const aliases = s.aliases ?? [];
        if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string')) {
          throw invalid(
            source,
            `catalog.${category}[${i}].aliases must be a list of names, got ${show(aliases)}`,
          );
        }
        return { name: s.name.trim(), aliases: aliases as string[] };
      }
      throw invalid(
        source,
        `catalog.${category}[${i}] must be a service name or {name, aliases}, got ${show(s)}`,
      );
    });
  }
  return out;
}

function readQuery(entry: unknown, index: number, source: string, catalog: CatalogIndex): GoldenQuery {
  if (!isRecord(entry))
    throw invalid(source, `queries[${index}] must be a mapping {q, service, maxPrice}, got ${show(entry)}`);
  const q = entry.q;
  if (typeof q !== 'string' || q.trim().length === 0 || q.length > 500) {
    throw invalid(
      source,
      `queries[${index}]: field \`q\` must be a query of 1-500 characters, got ${show(q)}`,
    );
  }
  const where = at(index, q);
  for (const key of Object.keys(entry)) {
    if (!['q', 'service', 'maxPrice', 'parsedServiceQuery', 'tags'].includes(key)) {
      throw invalid(
        source,
        `${where}: unknown field \`${key}\` (expected q, service, maxPrice, parsedServiceQuery, tags)`,
      );
    }
  }
  if (!('service' in entry))
    throw invalid(source, `${where}: field \`service\` is missing (a catalog service, or null for any)`);
  if (!('maxPrice' in entry))
    throw invalid(source, `${where}: field \`maxPrice\` is missing (the price bound, or null)`);
  const service = entry.service;
  if (service !== null && (typeof service !== 'string' || !catalog.find(service))) {
    const known = catalog.services.map((s) => s.name).join(', ');
    throw invalid(
      source,
      `${where}: field \`service\` must be a catalog service or null, got ${show(service)} (catalog: ${known})`,
    );
  }
  const maxPrice = entry.maxPrice;
  if (maxPrice !== null && (typeof maxPrice !== 'number' || !Number.isFinite(maxPrice) || maxPrice <= 0)) {
    throw invalid(
      source,
      `${where}: field \`maxPrice\` must be a positive number or null, got ${show(maxPrice)}`,
    );
  }
  const tags = entry.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw invalid(source, `${where}: field \`tags\` must be a list of strings, got ${show(tags)}`);
  }
  const parsed = entry.parsedServiceQuery;
  if (parsed !== undefined && typeof parsed !== 'string') {
    throw invalid(source, `${where}: field \`parsedServiceQuery\` must be a string, got ${show(parsed)}`);
  }
  return {
    q: q.trim(),
    service: service === null ? null : catalog.find(service)!.name,
    maxPrice,
    ...(parsed === undefined ? {} : { parsedServiceQuery: parsed }),
    tags: tags as string[],
  };
}

function at(index: number, q: string): string {
  return `queries[${index}] ("${q}")`;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(source: string, message: string, cause?: unknown): PreflightError {
  return new PreflightError('E_CONFIG', `Golden query file ${source}: ${message}`, {
    hint: 'see src/search-check/README.md for the golden file format',
    cause,
  });
}
