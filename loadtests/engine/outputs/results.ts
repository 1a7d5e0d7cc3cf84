/** Writes results/<run-id>/: summary.json (+ schema), timeseries.json, thresholds.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactValue } from '../../../src/core/redact.js';
import type { SeriesPoint } from '../metrics/timeseries.js';
import { type RunSummary, runSummarySchema } from '../summary/summary.js';

/** A sortable, readable run id: 20261125T172200Z-smoke-ab12. */
export function createRunId(script: string, date = new Date()): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = script
    .replace(/^.*\//, '')
    .replace(/\.[cm]?[jt]s$/, '')
    .replace(/[^\w-]+/g, '-')
    .slice(0, 40);
  return `${stamp}-${name}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface WrittenResults {
  dir: string;
  files: string[];
}

export function writeResults(
  resultsRoot: string,
  summary: RunSummary,
  series: SeriesPoint[],
  extra: Record<string, unknown> = {},
): WrittenResults {
  const dir = join(resultsRoot, summary.runId);
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, unknown]> = [
    ['summary.json', { $schema: './summary.schema.json', ...(redactValue(summary) as object) }],
    ['summary.schema.json', runSummarySchema],
    ['timeseries.json', { runId: summary.runId, intervalMs: 1000, points: series }],
    [
      'thresholds.json',
      { runId: summary.runId, ok: summary.thresholds.every((t) => t.ok), thresholds: summary.thresholds },
    ],
    ...Object.entries(extra),
  ];
  for (const [name, value] of files) writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  return { dir, files: files.map(([name]) => join(dir, name)) };
}
