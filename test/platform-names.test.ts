import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Build output, dependencies and local state (as in .gitignore): not source. */
const skippedDirs = new Set([
  'node_modules',
  '.git',
  'cdktf.out',
  'results',
  '.preflight',
  '.scratch',
  '.vitest-tmp',
]);
const isSkippedDir = (name: string) => skippedDirs.has(name) || name === 'dist' || name.startsWith('dist.');

const sourceExtensions = /\.(?:ts|tsx|js|mjs|cjs|json|ya?ml|sql)$/;

/**
 * Where a platform metric name may be written out: the profile that holds it, the code that plays the platform
 * (the sandbox, the spec-only platform and the metric/search fixtures), tests, and the promtool unit tests whose
 * input series are the spec's names.
 */
const allowed: Array<{ why: string; test: (path: string) => boolean }> = [
  { why: 'the platform profile', test: (p) => p === 'src/core/platform/defaults.ts' },
  { why: 'the sandbox plays the platform', test: (p) => p.startsWith('src/sandbox/') },
  { why: 'the spec-only platform fixture', test: (p) => p.startsWith('test/spec-platform/') },
  { why: 'test fixtures', test: (p) => p.startsWith('test/fixtures/') },
  { why: 'the metrics server fixture', test: (p) => p.startsWith('monitoring/fixtures/') },
  { why: 'the fake search server', test: (p) => p === 'src/search-check/fake-search-server.ts' },
  { why: 'tests', test: (p) => p.endsWith('.test.ts') },
  { why: 'promtool unit tests', test: (p) => /^monitoring\/tests\/[^/]+\.promtool\.yml$/.test(p) },
];

function listSourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!isSkippedDir(entry.name)) files.push(...listSourceFiles(join(dir, entry.name)));
    } else if (entry.isFile() && sourceExtensions.test(entry.name)) {
      files.push(join(dir, entry.name));
    }
  }
  return files;
}

/** `path:line: text` of every line naming a platform metric outside the allowed places. */
function findPlatformMetricNames(): string[] {
  const found: string[] = [];
  for (const file of listSourceFiles(root)) {
    const path = relative(root, file).split(sep).join('/');
    if (allowed.some((place) => place.test(path))) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.includes('instainstru_')) found.push(`${path}:${index + 1}: ${line.trim()}`);
      });
  }
  return found;
}

describe('every platform assumption lives in the platform profile', () => {
  it('no source file outside the allowed places names an instainstru_ metric', () => {
    expect(findPlatformMetricNames()).toEqual([]);
  });

  it('the scan sees the places it allows (it reads the tree it guards)', () => {
    const scanned = listSourceFiles(root).map((f) => relative(root, f).split(sep).join('/'));
    expect(scanned).toContain('src/core/platform/defaults.ts');
    expect(scanned).toContain('monitoring/dashboards.ts');
    expect(readFileSync(join(root, 'src/core/platform/defaults.ts'), 'utf8')).toContain('instainstru_');
  });
});
