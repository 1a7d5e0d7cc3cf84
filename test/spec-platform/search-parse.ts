// Natural-language query parsing and service-level matching (a catalog entry, never a whole category).

export interface ParsedQuery {
  service_query: string;
  max_price: number | null;
  location: string | null;
}

const AMOUNT = '(\\d+(?:\\.\\d+)?)';
/** The price phrases of the spec, tried in order; the bare `under N` counts only from 20 up. */
const PRICE_PATTERNS: Array<{ pattern: RegExp; minimum: number }> = [
  { pattern: new RegExp(`\\bunder\\s+\\$\\s*${AMOUNT}`, 'i'), minimum: 0 },
  { pattern: new RegExp(`\\bless\\s+than\\s+\\$\\s*${AMOUNT}`, 'i'), minimum: 0 },
  { pattern: new RegExp(`\\bmax\\s+\\$\\s*${AMOUNT}`, 'i'), minimum: 0 },
  { pattern: new RegExp(`\\$\\s*${AMOUNT}\\s+or\\s+less\\b`, 'i'), minimum: 0 },
  { pattern: new RegExp(`\\$?${AMOUNT}\\s+per\\s+hour\\b`, 'i'), minimum: 0 },
  { pattern: new RegExp(`\\$?${AMOUNT}\\s+dollars\\b`, 'i'), minimum: 0 },
  {
    pattern: new RegExp(`\\bunder\\s+${AMOUNT}\\b(?!\\s*(?:years?|yrs?|minutes?|mins?)\\b)`, 'i'),
    minimum: 20,
  },
];
const LOCATION_PATTERN = /\bnear\s+([a-z][a-z .'-]*)$/i;
const LEFTOVER_RATE_WORDS = /\b(?:per|an|a)\s+hour\b|\/\s*(?:hr|hour)\b/gi;

export function parseSearchQuery(query: string): ParsedQuery {
  let rest = query.trim();
  let maxPrice: number | null = null;
  for (const { pattern, minimum } of PRICE_PATTERNS) {
    const match = pattern.exec(rest);
    if (!match) continue;
    const amount = Number(match[1]);
    if (amount < minimum) continue;
    maxPrice = amount;
    rest = `${rest.slice(0, match.index)} ${rest.slice(match.index + match[0].length)}`;
    break;
  }
  if (maxPrice !== null) rest = rest.replace(LEFTOVER_RATE_WORDS, ' ');
  let location: string | null = null;
  const near = LOCATION_PATTERN.exec(rest.trim());
  if (near) {
    location = near[1]!.trim();
    rest = rest.trim().slice(0, near.index);
  }
  return { service_query: normalizeSpaces(rest.toLowerCase()), max_price: maxPrice, location };
}

const normalizeSpaces = (text: string) => text.replace(/\s+/g, ' ').trim();

const STOP_WORDS = new Set(
  (
    'a an and the for me my i want need find looking cheap affordable best good great lesson lessons class classes ' +
    'teacher teachers tutor tutors tutoring instructor instructors coach coaching online beginner beginners kid kids ' +
    'adult adults to learn learning with in of on at'
  ).split(' '),
);

/** Lower-case words without stop words; a trailing plural `s` is dropped so "drums" meets "drum". */
export function getSignificantWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word && !STOP_WORDS.has(word))
    .map((word) =>
      word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word,
    );
}

export interface CatalogTerms {
  id: string;
  name: string;
  slug: string;
  search_terms: string[];
}

/** How well a catalog entry matches the service words: 1 for an exact term, less for partial overlaps, 0 for none. */
export function scoreCatalogEntry(entry: CatalogTerms, queryWords: string[]): number {
  if (queryWords.length === 0) return 0;
  const terms = [entry.name, entry.slug.replace(/-/g, ' '), ...entry.search_terms];
  let best = 0;
  for (const term of terms) {
    const termWords = getSignificantWords(term);
    if (termWords.length === 0) continue;
    const inQuery = termWords.every((word) => queryWords.includes(word));
    const queryInTerm = queryWords.every((word) => termWords.includes(word));
    let score = 0;
    if (inQuery && queryInTerm) score = 1;
    else if (inQuery) score = 0.6 + (0.4 * termWords.length) / queryWords.length;
    else if (queryInTerm) score = 0.5 + (0.4 * queryWords.length) / termWords.length;
    best = Math.max(best, score);
  }
  return Math.round(best * 1000) / 1000;
}
