import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBaseline, readBaseline, updateBaseline, writeBaseline } from './baseline.js';
import { createFinding } from './findings.js';

const evidence = { request: 'GET /x', response: 'HTTP 200' };
const docs = createFinding('EXPOSED-API-DOCS', { method: 'GET', path: '/docs', detail: 'docs', evidence });
const metrics = createFinding('EXPOSED-METRICS', {
  method: 'GET',
  path: '/api/v1/metrics/prometheus',
  detail: 'metrics',
  evidence,
});
const now = new Date('2026-06-01T12:00:00Z');

describe('baseline', () => {
  it('suppresses by fingerprint or rule id until the end of the expiry day; expired entries count again', () => {
    const outcome = applyBaseline(
      [docs, metrics],
      {
        version: 1,
        entries: [
          { id: 'EXPOSED-API-DOCS', owner: 'a', reason: 'r', expires: '2026-06-01' },
          { fingerprint: metrics.fingerprint, owner: 'b', reason: 'r', expires: '2026-05-31' },
        ],
      },
      now,
    );
    expect(outcome.suppressed.map((m) => m.finding.ruleId)).toEqual(['EXPOSED-API-DOCS']);
    expect(outcome.active.map((f) => f.ruleId)).toEqual(['EXPOSED-METRICS']);
    expect(outcome.expired.map((m) => m.entry.owner)).toEqual(['b']);
  });

  it('--update-baseline keeps live entries, drops expired ones and adds the new findings with owner and expiry', () => {
    const next = updateBaseline(
      {
        version: 1,
        entries: [
          { id: 'EXPOSED-API-DOCS', owner: 'a', reason: 'r', expires: '2027-01-01' },
          { id: 'X', owner: 'old', reason: 'r', expires: '2020-01-01' },
        ],
      },
      [docs, metrics],
      { owner: 'alice', days: 30, now },
    );
    expect(next.entries.map((e) => e.owner)).toEqual(['a', 'alice']);
    expect(next.entries[1]).toMatchObject({
      fingerprint: metrics.fingerprint,
      id: 'EXPOSED-METRICS',
      expires: '2026-07-01',
    });
    const dir = mkdtempSync(join(tmpdir(), 'preflight-baseline-'));
    writeBaseline(join(dir, 'b.json'), next);
    expect(readBaseline(join(dir, 'b.json'))).toEqual(next);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects entries without owner, reason or a valid date, naming the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'preflight-baseline-'));
    const path = join(dir, 'b.json');
    writeFileSync(
      path,
      JSON.stringify({ version: 1, entries: [{ id: 'X', owner: 'a', reason: 'r', expires: 'soon' }] }),
    );
    expect(() => readBaseline(path)).toThrow(/entries\[0\]\.expires must be a date YYYY-MM-DD, got `"soon"`/);
    writeFileSync(
      path,
      JSON.stringify({ version: 1, entries: [{ id: 'X', reason: 'r', expires: '2030-01-01' }] }),
    );
    expect(() => readBaseline(path)).toThrow(/entries\[0\]\.owner must be a non-empty string/);
    expect(readBaseline(join(dir, 'missing.json')).entries).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the committed security/baseline.json is valid', () => {
    const path = new URL('./baseline.json', import.meta.url);
    expect(readBaseline(path.pathname).version).toBe(1);
    expect(JSON.parse(readFileSync(path, 'utf8')).entries).toBeInstanceOf(Array);
  });
});
