import { describe, expect, it } from 'vitest';
import { getSignificantWords, parseSearchQuery, scoreCatalogEntry } from './search-parse.js';

describe('spec platform search parsing', () => {
  it.each([
    ['piano under $80', 'piano', 80],
    ['guitar less than $55', 'guitar', 55],
    ['violin max $100', 'violin', 100],
    ['drums $60 or less', 'drums', 60],
    ['spanish 45 per hour', 'spanish', 45],
    ['math 70 dollars', 'math', 70],
    ['piano under 80', 'piano', 80],
    ['Piano lessons under $80 per hour', 'piano lessons', 80],
  ])('%s -> service_query %s, max_price %s', (query, service, price) => {
    expect(parseSearchQuery(query)).toEqual({ service_query: service, max_price: price, location: null });
  });

  it('reads a bare "under N" as a price only from 20 up', () => {
    expect(parseSearchQuery('piano for kids under 10')).toEqual({
      service_query: 'piano for kids under 10',
      max_price: null,
      location: null,
    });
    expect(parseSearchQuery('chess under 19').max_price).toBeNull();
    expect(parseSearchQuery('chess under 20').max_price).toBe(20);
  });

  it('reads a trailing "near <place>" as the location', () => {
    expect(parseSearchQuery('guitar under $60 near Brooklyn')).toEqual({
      service_query: 'guitar',
      max_price: 60,
      location: 'Brooklyn',
    });
  });

  it('matches a catalog entry by its own terms, not by its category', () => {
    const piano = { id: 'p', name: 'Piano', slug: 'piano', search_terms: ['piano', 'keyboard'] };
    const guitar = { id: 'g', name: 'Guitar', slug: 'guitar', search_terms: ['guitar', 'acoustic guitar'] };
    const words = getSignificantWords('piano lessons');
    expect(scoreCatalogEntry(piano, words)).toBe(1);
    expect(scoreCatalogEntry(guitar, words)).toBe(0);
    expect(scoreCatalogEntry(guitar, getSignificantWords('acoustic guitar'))).toBe(1);
    expect(scoreCatalogEntry(piano, getSignificantWords('music'))).toBe(0);
    expect(scoreCatalogEntry(piano, getSignificantWords('piano and guitar'))).toBeCloseTo(0.8);
  });
});
