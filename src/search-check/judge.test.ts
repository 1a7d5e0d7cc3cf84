import { describe, expect, it } from 'vitest';
import { defaultPlatform } from '../core/platform/defaults.js';
import { createCatalogIndex } from './catalog.js';
import type { GoldenQuery } from './golden.js';
import { judgeSearchResponse } from './judge.js';
import { readSearchResponse, type SearchResponse } from './response.js';

const catalog = createCatalogIndex({
  Music: [{ name: 'piano' }, { name: 'guitar' }, { name: 'drums' }],
  Tutoring: [{ name: 'math' }, { name: 'SAT prep' }],
});

const pianoUnder80: GoldenQuery = { q: 'piano under $80', service: 'piano', maxPrice: 80, tags: [] };

/** A result shaped exactly like platform.md's search response. */
type RawResult = Record<string, unknown>;

function result(id: string, name: string | undefined, rate: number, catalogId = `cat-${name}`): RawResult {
  return {
    instructor_id: id,
    instructor: { id, first_name: 'Ada', last_initial: 'L' },
    rating: { average: 4.9, count: 31 },
    best_match: {
      service_id: `svc-${id}`,
      service_catalog_id: catalogId,
      ...(name === undefined ? {} : { name }),
      min_hourly_rate: rate,
      format_prices: [
        { format: 'online', hourly_rate: rate },
        { format: 'student_location', hourly_rate: rate + 20 },
      ],
      relevance_score: 0.93,
    },
    other_matches: [],
    relevance_score: 0.93,
  };
}

/** The answer read through the spec's field names, as search-check reads it. */
function response(results: RawResult[], meta: Record<string, unknown> = {}): SearchResponse {
  const read = readSearchResponse(spec(results, meta), defaultPlatform.search);
  if (!read.ok) throw new Error(read.problem);
  return read.response;
}

function spec(results: RawResult[], meta: Record<string, unknown>) {
  return {
    results,
    meta: {
      query: 'piano under $80',
      parsed: { service_query: 'piano', max_price: 80, location: null },
      total_results: results.length,
      limit: 20,
      latency_ms: 41,
      cache_hit: false,
      soft_filtering_used: false,
      filters_applied: ['price'],
      ...meta,
    },
  };
}

describe('judgeSearchResponse', () => {
  it('counts every result that is the expected service within the price bound', () => {
    const j = judgeSearchResponse(
      pianoUnder80,
      response([result('a', 'Piano', 45), result('b', 'Piano', 80), result('c', 'Piano', 79.5)]),
      { catalog },
    );
    expect(j).toMatchObject({
      resultCount: 3,
      satisfied: 3,
      precision: 1,
      problems: [],
      parseProblems: [],
      expectedCategory: 'Music',
    });
    expect(j.results[0]).toMatchObject({
      service: 'Piano',
      catalogService: 'piano',
      category: 'Music',
      serviceOk: true,
      priceOk: true,
    });
  });

  it('names the wrong services with their categories (the category-level match bug)', () => {
    const results = [
      ...Array.from({ length: 17 }, (_, i) => result(`p${i}`, 'Piano', 40)),
      result('g1', 'Guitar', 40),
      result('g2', 'Guitar', 50),
      result('d1', 'Drums', 60),
    ];
    const j = judgeSearchResponse(pianoUnder80, response(results), { catalog });
    expect(j.satisfied).toBe(17);
    expect(j.precision).toBeCloseTo(0.85);
    expect(j.problems).toEqual(['3/20 results not piano: Guitar (Music) x2, Drums (Music)']);
  });

  it('fails results above the price bound unless soft filtering was used', () => {
    const results = [result('a', 'Piano', 60), result('b', 'Piano', 95), result('c', 'Piano', 100)];
    const strict = judgeSearchResponse(pianoUnder80, response(results), { catalog });
    expect(strict.satisfied).toBe(1);
    expect(strict.problems).toEqual(['2/3 results above $80: $95, $100']);
    const soft = judgeSearchResponse(
      pianoUnder80,
      response(results, { soft_filtering_used: true, soft_filter_message: 'Relaxed price' }),
      { catalog },
    );
    expect(soft).toMatchObject({ satisfied: 3, precision: 1, softFilteringUsed: true, problems: [] });
  });

  it('resolves a result without a name through service_catalog_id, and flags one it cannot resolve', () => {
    const names = new Map([['cat-piano-01', 'Piano']]);
    const j = judgeSearchResponse(
      pianoUnder80,
      response([result('a', undefined, 50, 'cat-piano-01'), result('b', undefined, 50, 'cat-unknown')]),
      {
        catalog,
        catalogNames: names,
      },
    );
    expect(j.results.map((r) => r.serviceOk)).toEqual([true, false]);
    expect(j.problems).toEqual(['1/2 results not piano: no best_match']);
  });

  it('flags a service the catalog does not know and a missing best_match', () => {
    const noMatch: RawResult = { instructor_id: 'z', best_match: null, other_matches: [] };
    const j = judgeSearchResponse(pianoUnder80, response([result('a', 'Cello', 50), noMatch]), { catalog });
    expect(j.satisfied).toBe(0);
    expect(j.problems[0]).toBe('2/2 results not piano: Cello (not in catalog), no best_match');
  });

  it('judges price-only queries on price alone', () => {
    const q: GoldenQuery = { q: 'lessons under $50', service: null, maxPrice: 50, tags: [] };
    const j = judgeSearchResponse(
      q,
      response([result('a', 'Math', 30), result('b', 'Drums', 49.99), result('c', 'Guitar', 51)], {
        parsed: { service_query: null, max_price: 50 },
      }),
      {
        catalog,
      },
    );
    expect(j).toMatchObject({ satisfied: 2, expectedService: null });
    expect(j.problems).toEqual(['1/3 results above $50: $51']);
  });

  it('checks the parsed price and, when the golden entry gives it, the parsed service', () => {
    const q: GoldenQuery = { ...pianoUnder80, parsedServiceQuery: 'piano' };
    const j = judgeSearchResponse(
      q,
      response([result('a', 'Piano', 50)], { parsed: { service_query: 'piano under', max_price: 8 } }),
      { catalog },
    );
    expect(j.parseProblems).toEqual([
      'parsed max_price 8 (expected 80)',
      'parsed service_query "piano under" (expected "piano")',
    ]);
    const serviceOnly: GoldenQuery = { q: 'piano lessons', service: 'piano', maxPrice: null, tags: [] };
    expect(
      judgeSearchResponse(
        serviceOnly,
        response([result('a', 'Piano', 50)], { parsed: { service_query: 'piano', max_price: 60 } }),
        { catalog },
      ).parseProblems,
    ).toEqual(['parsed max_price 60 (expected null)']);
    expect(
      judgeSearchResponse(serviceOnly, response([result('a', 'Piano', 50)], { parsed: undefined }), {
        catalog,
      }).parseProblems,
    ).toEqual([]);
  });

  it('uses the catalog of the repo golden set when no context is given', () => {
    const j = judgeSearchResponse(
      pianoUnder80,
      response([result('a', 'Piano', 45), result('b', 'Voice', 45)]),
    );
    expect(j.problems).toEqual(['1/2 results not piano: Voice (Music)']);
  });

  it('reports no results with a null precision', () => {
    const j = judgeSearchResponse(pianoUnder80, response([]), { catalog });
    expect(j).toMatchObject({ resultCount: 0, precision: null, problems: ['no results'] });
  });
});
