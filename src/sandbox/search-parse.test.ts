// Query parsing and catalog matching of the twin's natural-language search (pure functions, no server).
import { describe, expect, it } from 'vitest';
import type { CatalogIndex } from './api/catalog-index.js';
import { editDistance, matchServices, parseSearchQuery } from './api/search-parse.js';
import { catalogSeed } from './catalog.js';

function buildCatalog(): CatalogIndex {
  const services: CatalogIndex['services'] = [];
  const categories: CatalogIndex['categories'] = [];
  for (const category of catalogSeed) {
    const serviceIds: string[] = [];
    for (const sub of category.subcategories) {
      for (const s of sub.services) {
        services.push({
          id: s.slug,
          name: s.name,
          slug: s.slug,
          searchTerms: s.searchTerms,
          subcategoryId: sub.slug,
          categoryId: category.slug,
        });
        serviceIds.push(s.slug);
      }
    }
    categories.push({
      id: category.slug,
      name: category.name,
      slug: category.slug,
      terms: [category.name.toLowerCase(), ...category.searchTerms],
      serviceIds,
    });
  }
  return { services, categories, byId: new Map(services.map((s) => [s.id, s])) };
}

const catalog = buildCatalog();
const named = (q: string, categoryLevel = false) =>
  [...matchServices(parseSearchQuery(q), catalog, categoryLevel).scores.keys()].sort();

describe('parseSearchQuery', () => {
  it.each([
    ['piano under $80', 'piano', 80],
    ['guitar lessons less than $60', 'guitar', 60],
    ['violin max $90', 'violin', 90],
    ['spanish $70 or less', 'spanish', 70],
    ['yoga 45 per hour', 'yoga', 45],
    ['math tutoring 60 dollars', 'math tutoring', 60],
    ['french lessons under 90', 'french', 90],
    ['drums $55/hr', 'drums', 55],
    ['piano teacher', 'piano', null],
    ['lessons under $50', null, 50],
  ])('%s -> service %s, max %s', (q, service, maxPrice) => {
    expect(parseSearchQuery(q)).toMatchObject({ serviceQuery: service, maxPrice });
  });

  it('reads a bare "under N" only when N >= 20', () => {
    expect(parseSearchQuery('piano under 15').maxPrice).toBeNull();
    expect(parseSearchQuery('piano under 15').serviceQuery).toBe('piano');
    expect(parseSearchQuery('piano under 25').maxPrice).toBe(25);
  });

  it('reads a location', () => {
    expect(parseSearchQuery('tennis in staten island under $90')).toEqual({
      serviceQuery: 'tennis',
      maxPrice: 90,
      location: 'staten-island',
    });
  });
});

describe('matchServices', () => {
  it('matches at service level: names, search terms, plurals and typos', () => {
    expect(named('piano under $80')).toEqual(['piano']);
    expect(named('pianos')).toEqual(['piano']);
    expect(named('pianno')).toEqual(['piano']);
    expect(named('guittar')).toEqual(['guitar']);
    expect(named('spansh tutor')).toEqual(['spanish']);
    expect(named('singing lessons')).toEqual(['voice']);
    expect(named('sat prep under $150')).toEqual(['sat-prep']);
  });

  it('falls back to a category when no service is named, and to everything for price-only queries', () => {
    expect(named('music lessons')).toEqual(['drums', 'guitar', 'piano', 'violin', 'voice']);
    expect(named('lessons under $50')).toHaveLength(14);
    expect(matchServices(parseSearchQuery('underwater basket weaving'), catalog, false).level).toBe('none');
  });

  it('with the category-level bug, a service widens to its whole category', () => {
    expect(named('piano under $80', true)).toEqual(['drums', 'guitar', 'piano', 'violin', 'voice']);
  });

  it('computes edit distances', () => {
    expect(editDistance('pianno', 'piano')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
