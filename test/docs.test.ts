import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('docs stay true', () => {
  it('docs/reference.md lists every error code of src/core/errors.ts', () => {
    const source = readFileSync(join(root, 'src', 'core', 'errors.ts'), 'utf8');
    const union = source.slice(
      source.indexOf('export type ErrorCode'),
      source.indexOf(';', source.indexOf('export type ErrorCode')),
    );
    const codes = [...union.matchAll(/'(E_[A-Z0-9_]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(10);
    const reference = readFileSync(join(root, 'docs', 'reference.md'), 'utf8');
    const missing = codes.filter((c) => !reference.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  it('README and docs name the same exit codes as src/core/errors.ts', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const line of ['| 0 |', '| 1 |', '| 2 |', '| 3 |', '| 4 |']) expect(readme).toContain(line);
  });
});

describe('docs/configuration.md', () => {
  it('matches the schema (regenerate with `npm run docs:config`)', async () => {
    const { renderConfigDocs } = await import('../src/core/config/docs.js');
    expect(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8')).toBe(renderConfigDocs());
  });
});
