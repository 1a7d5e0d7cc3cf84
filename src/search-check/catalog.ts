/** The golden set's catalog: maps the names and slugs a target returns to catalog services and their categories. */

export interface CatalogService {
  /** The name as the golden file spells it ("SAT prep"). */
  name: string;
  slug: string;
  category: string;
  aliases: string[];
}

export interface CatalogIndex {
  services: CatalogService[];
  /** Finds the catalog service a returned name or slug stands for. */
  find(nameOrSlug: string): CatalogService | undefined;
}

const suffixWords = new Set(['lesson', 'lessons', 'class', 'classes', 'tutoring', 'instruction', 'coaching']);

/** "SAT Prep" -> "sat-prep"; "Piano Lessons" -> "piano" (suffix words dropped unless nothing else is left). */
export function normalizeServiceName(name: string): string {
  const words = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  while (words.length > 1 && suffixWords.has(words[words.length - 1]!)) words.pop();
  return words.join('-');
}

/** Builds the lookup from `category -> services`. */
export function createCatalogIndex(
  catalog: Record<string, Array<{ name: string; aliases?: string[] }>>,
): CatalogIndex {
  const services: CatalogService[] = [];
  const byKey = new Map<string, CatalogService>();
  for (const [category, entries] of Object.entries(catalog)) {
    for (const entry of entries) {
      const service: CatalogService = {
        name: entry.name,
        slug: normalizeServiceName(entry.name),
        category,
        aliases: entry.aliases ?? [],
      };
      services.push(service);
      for (const key of [entry.name, ...service.aliases]) byKey.set(normalizeServiceName(key), service);
    }
  }
  return {
    services,
    find(nameOrSlug) {
      return byKey.get(normalizeServiceName(nameOrSlug));
    },
  };
}
