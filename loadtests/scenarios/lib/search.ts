// Natural-language search traffic in four tiers, picked by weight; every request is tagged with its tier.
import { check } from 'k6';
import http from 'k6/http';
import { buildSearchPath, readPath } from '../../../src/core/platform/discovery.js';
import { platform } from './platform.js';
import { apiBase, buildHeaders, readJson } from './target.js';

export type SearchTier = 'common' | 'long_tail' | 'price' | 'misspelled';

export const searchTiers: Record<SearchTier, string[]> = {
  common: [
    'piano',
    'guitar lessons',
    'math tutor',
    'spanish',
    'yoga',
    'swimming lessons',
    'tennis',
    'sat prep',
  ],
  long_tail: [
    'jazz piano for adult beginners near brooklyn',
    'conversational spanish for travel with a patient teacher',
    'competitive swimming technique coach for teenagers',
    'calculus help for college engineering students online',
  ],
  price: [
    'piano under $80',
    'guitar less than $60',
    'math tutor max $50',
    'yoga $40 or less',
    'tennis 70 per hour',
  ],
  misspelled: ['pianno', 'guiter lessons', 'spansh tutor', 'yogga', 'tenis coach', 'violen'],
};

/** Default weights (percent): most users type common queries. */
export const defaultWeights: Record<SearchTier, number> = {
  common: 60,
  long_tail: 15,
  price: 15,
  misspelled: 10,
};

/** SEARCH_WEIGHTS="common:60,long_tail:15,price:15,misspelled:10" overrides the defaults. */
export function readWeights(raw: string | undefined): Record<SearchTier, number> {
  const weights = { ...defaultWeights };
  for (const part of (raw ?? '').split(',').filter(Boolean)) {
    const [name, value] = part.split(':');
    if (!name || !(name in weights) || !Number.isFinite(Number(value)) || Number(value) < 0)
      throw new Error(
        `SEARCH_WEIGHTS: expected tier:weight pairs of ${Object.keys(weights).join(', ')}, got \`${part}\``,
      );
    weights[name as SearchTier] = Number(value);
  }
  return weights;
}

export function pickTier(weights: Record<SearchTier, number>): SearchTier {
  const entries = Object.entries(weights) as Array<[SearchTier, number]>;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let roll = Math.random() * total;
  for (const [tier, weight] of entries) {
    roll -= weight;
    if (roll < 0) return tier;
  }
  return 'common';
}

/** A search answer as the platform returns it (read it through the profile's field names). */
export type SearchResultBody = unknown;

/** One search request of a tier, with checks on status and shape; returns the parsed body. */
export async function search(
  tier: SearchTier,
  extraTags: Record<string, string> = {},
): Promise<SearchResultBody | undefined> {
  const queries = searchTiers[tier];
  const q = queries[Math.floor(Math.random() * queries.length)] ?? 'piano';
  const response = await http.asyncRequest('GET', `${apiBase}${buildSearchPath(platform, q)}`, null, {
    headers: buildHeaders(),
    tags: { name: 'search', tier, ...extraTags },
  });
  const raw = response.status === 200 ? readJson<unknown>(response) : undefined;
  const results = readPath(raw, platform.search.resultsField);
  const meta = readPath(raw, platform.search.metaField);
  check(
    response,
    {
      'search is 200': (r) => r.status === 200,
      'search has results and meta': () =>
        Array.isArray(results) && typeof meta === 'object' && meta !== null,
    },
    { tier },
  );
  return raw;
}
