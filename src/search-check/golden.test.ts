import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import type { PreflightError } from '../core/errors.js';
import { loadGoldenSet, parseGoldenSet } from './golden.js';

const catalog = 'catalog:\n  Music: [piano, guitar]\n  Tutoring: [math, {name: SAT prep, aliases: [SAT]}]\n';

function parseError(text: string): PreflightError {
  try {
    parseGoldenSet(text, 'bad.yaml');
  } catch (error) {
    return error as PreflightError;
  }
  throw new Error('expected the golden file to be rejected');
}

describe('the golden set kept in the repo', () => {
  const golden = loadGoldenSet();

  it('has at least 30 queries covering every kind the issue asks for', () => {
    expect(golden.queries.length).toBeGreaterThanOrEqual(30);
    const tags = golden.queries.flatMap((q) => q.tags);
    for (const tag of ['service+price', 'service', 'price', 'misspelling', 'plural', 'phrasing'])
      expect(tags).toContain(tag);
    const texts = golden.queries.map((q) => q.q);
    expect(texts).toEqual(
      expect.arrayContaining([
        'piano under $80',
        'guitar lessons less than $60',
        'spanish tutor max $50',
        'violin $70 or less',
        'yoga 45 per hour',
        'math tutoring 60 dollars',
        'lessons under $50',
        'pianno',
        'guitars',
      ]),
    );
    for (const word of ['lessons', 'teacher', 'tutor', 'classes'])
      expect(texts.some((t) => t.includes(word))).toBe(true);
  });

  it('names catalog services with their categories and reads price-only queries as any service', () => {
    expect(golden.catalog.find('SAT Prep')?.category).toBe('Tutoring');
    expect(golden.catalog.find('Piano Lessons')?.name).toBe('piano');
    expect(golden.queries.find((q) => q.q === 'piano under $80')).toMatchObject({
      service: 'piano',
      maxPrice: 80,
    });
    expect(golden.queries.find((q) => q.q === 'lessons under $50')).toMatchObject({
      service: null,
      maxPrice: 50,
    });
  });
});

describe('golden file validation', () => {
  it('accepts aliases and resolves a query service through them', () => {
    const set = parseGoldenSet(
      `${catalog}queries:\n  - {q: sat under $100, service: SAT, maxPrice: 100}\n`,
      'x.yaml',
    );
    expect(set.queries[0]).toEqual({ q: 'sat under $100', service: 'SAT prep', maxPrice: 100, tags: [] });
  });

  it('names the entry and the field of a bad price', () => {
    const error = parseError(
      `${catalog}queries:\n  - {q: piano, service: piano, maxPrice: null}\n  - {q: guitar under $60, service: guitar, maxPrice: sixty}\n`,
    );
    expect(error.code).toBe('E_CONFIG');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(
      'queries[1] ("guitar under $60"): field `maxPrice` must be a positive number or null, got "sixty"',
    );
  });

  it('names a service that is not in the catalog', () => {
    const error = parseError(`${catalog}queries:\n  - {q: cello lessons, service: cello, maxPrice: null}\n`);
    expect(error.message).toContain(
      'queries[0] ("cello lessons"): field `service` must be a catalog service or null, got "cello"',
    );
  });

  it('names a missing field, an unknown field and a repeated query', () => {
    expect(parseError(`${catalog}queries:\n  - {q: piano, service: piano}\n`).message).toContain(
      'queries[0] ("piano"): field `maxPrice` is missing',
    );
    expect(
      parseError(`${catalog}queries:\n  - {q: piano, service: piano, maxPrice: null, max_price: 3}\n`)
        .message,
    ).toContain('unknown field `max_price`');
    expect(
      parseError(
        `${catalog}queries:\n  - {q: piano, service: piano, maxPrice: null}\n  - {q: Piano, service: piano, maxPrice: null}\n`,
      ).message,
    ).toContain('queries[1] ("Piano"): field `q` repeats');
  });

  it('rejects broken YAML, a missing catalog and an unreadable file', () => {
    expect(parseError('queries: [').message).toContain('is not valid YAML');
    expect(parseError('queries:\n  - {q: piano, service: null, maxPrice: null}\n').message).toContain(
      '`catalog` must map',
    );
    const dir = makeTempDir('golden-');
    writeFileSync(join(dir, 'empty.yaml'), `${catalog}queries: []\n`);
    expect(() => loadGoldenSet(join(dir, 'empty.yaml'))).toThrow('`queries` must be a non-empty list');
    expect(() => loadGoldenSet(join(dir, 'missing.yaml'))).toThrow(/cannot be read \(ENOENT\)/);
  });
});
