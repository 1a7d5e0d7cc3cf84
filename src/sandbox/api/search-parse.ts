/** Natural-language query parsing (service words, price bound, location) and service matching against the catalog. */
import type { CatalogIndex } from './catalog-index.js';

export interface ParsedQuery {
  serviceQuery: string | null;
  maxPrice: number | null;
  location: string | null;
}

/** Place names a query may mention, mapped to the seeded `instructor_profiles.region` values. */
export const searchRegions: Record<string, string> = {
  manhattan: 'manhattan',
  brooklyn: 'brooklyn',
  queens: 'queens',
  bronx: 'bronx',
  'staten island': 'staten-island',
};

const number = String.raw`(\d+(?:\.\d+)?)`;
const per = String.raw`(?:\/|per|an|a)\s*(?:hour|hr|h)\b`;
const pricePatterns: Array<{ pattern: RegExp; bare?: boolean }> = [
  {
    pattern: new RegExp(
      String.raw`\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|within)\s*\$\s*${number}(?:\s*${per})?`,
    ),
  },
  {
    pattern: new RegExp(
      String.raw`\$\s*${number}\s*(?:or less|or under|or below|or cheaper|and under|max)\b`,
    ),
  },
  { pattern: new RegExp(String.raw`\$\s*${number}\s*${per}`) },
  { pattern: new RegExp(String.raw`\b${number}\s*(?:dollars?|bucks|usd)(?:\s*${per})?`) },
  { pattern: new RegExp(String.raw`\b${number}\s*${per}`) },
  {
    pattern: new RegExp(
      String.raw`\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than)\s+${number}\b`,
    ),
    bare: true,
  },
  { pattern: new RegExp(String.raw`\$\s*${number}`) },
];

const stopwords = new Set(
  'a an the for with and or me my i im want need looking find search show get some any near in on at of to from by who that is are can please cheap cheapest affordable best good great top rated private online local beginner beginners intermediate advanced kid kids child children adult adults teen teens session sessions hour hours hr per price prices dollars dollar budget lesson lessons class classes course courses teacher teachers tutor tutors instructor instructors coach coaches coaching training trainer trainers learn learning under below over above than less more max maximum most up'.split(
    ' ',
  ),
);
const fuzzyStopwords = [
  'lesson',
  'lessons',
  'teacher',
  'teachers',
  'instructor',
  'instructors',
  'classes',
  'coaching',
];

/** Splits a query into a price bound, a location and the words that name the service. */
export function parseSearchQuery(query: string): ParsedQuery {
  let text = ` ${query.toLowerCase().replace(/,/g, '')} `;
  let maxPrice: number | null = null;
  for (const { pattern, bare } of pricePatterns) {
    const match = pattern.exec(text);
    if (!match) continue;
    const value = Number(match[1]);
    if (bare && value < 20) continue;
    maxPrice = value;
    text = text.replace(match[0], ' ');
    break;
  }
  let location: string | null = null;
  for (const [region, value] of Object.entries(searchRegions)) {
    if (new RegExp(`\\b${region}\\b`).test(text)) {
      location = value;
      text = text.replace(new RegExp(`\\b(?:in|near|around)?\\s*${region}\\b`), ' ');
      break;
    }
  }
  const words = text
    .replace(/[^a-z\s]/g, ' ')
    .split(/\s+/)
    .filter(
      (w) =>
        w.length > 0 &&
        !stopwords.has(w) &&
        !fuzzyStopwords.some((s) => w.length >= 6 && editDistance(w, s) <= 1),
    );
  return { serviceQuery: words.length > 0 ? words.join(' ') : null, maxPrice, location };
}

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] as number;
      prev[j] = Math.min(above + 1, (prev[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length] as number;
}

function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ch|sh|x|ss)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** How well one query word names a term: 1 exact, 0.95 plural, less for typos, 0 not at all. */
function scoreWord(word: string, term: string): number {
  if (word === term) return 1;
  const w = singular(word);
  const t = singular(term);
  if (w === t) return 0.95;
  if (w.length < 4 || t.length < 4) return 0;
  const distance = editDistance(w, t);
  const allowed = Math.max(w.length, t.length) >= 7 ? 2 : 1;
  return distance <= allowed ? 0.85 - 0.05 * distance : 0;
}

function scoreTerms(words: string[], phrase: string, terms: string[]): number {
  let best = 0;
  for (const term of terms.map((t) => t.toLowerCase())) {
    if (term.includes(' ')) {
      if (` ${phrase} `.includes(` ${term} `)) best = Math.max(best, 1);
      continue;
    }
    for (const word of words) best = Math.max(best, scoreWord(word, term));
  }
  return best;
}

export type MatchLevel = 'service' | 'category' | 'all' | 'none';

export interface ServiceMatch {
  level: MatchLevel;
  /** The catalog services the query names, with a relevance score each. */
  scores: Map<string, number>;
  /** Catalog ids of the services the query named itself (before any category widening). */
  namedServiceIds: string[];
}

/**
 * Matches the service words against the catalog. Service level by default; `categoryLevel` widens a service
 * match to its whole category (the platform's bug: "piano" returns every music instructor).
 */
export function matchServices(
  parsed: ParsedQuery,
  catalog: CatalogIndex,
  categoryLevel: boolean,
): ServiceMatch {
  const scores = new Map<string, number>();
  if (!parsed.serviceQuery) {
    for (const s of catalog.services) scores.set(s.id, 0.5);
    return { level: 'all', scores, namedServiceIds: [] };
  }
  const phrase = parsed.serviceQuery;
  const words = phrase.split(' ');
  for (const service of catalog.services) {
    const score = scoreTerms(words, phrase, [service.name, ...service.searchTerms]);
    if (score >= 0.75) scores.set(service.id, score);
  }
  if (scores.size > 0) {
    const namedServiceIds = [...scores.keys()];
    if (categoryLevel) {
      for (const id of namedServiceIds) {
        const score = scores.get(id) as number;
        const categoryId = catalog.byId.get(id)?.categoryId;
        const category = catalog.categories.find((c) => c.id === categoryId);
        for (const sibling of category?.serviceIds ?? [])
          if (!scores.has(sibling)) scores.set(sibling, score);
      }
    }
    return { level: 'service', scores, namedServiceIds };
  }
  for (const category of catalog.categories) {
    const score = scoreTerms(words, phrase, category.terms);
    if (score >= 0.75) for (const id of category.serviceIds) scores.set(id, 0.6 * score);
  }
  return { level: scores.size > 0 ? 'category' : 'none', scores, namedServiceIds: [] };
}
