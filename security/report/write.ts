/** Writes the requested report files into the output directory. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreflightError } from '../../src/core/errors.js';
import { toJsonReport } from './json.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';
import type { ScanReport } from './model.js';
import { toSarif } from './sarif.js';

export const reportFormats = ['table', 'json', 'sarif', 'junit', 'md'] as const;
export type ReportFormat = (typeof reportFormats)[number];

const fileNames: Record<Exclude<ReportFormat, 'table'>, string> = {
  json: 'preflight-scan.json',
  sarif: 'preflight-scan.sarif',
  junit: 'preflight-scan.junit.xml',
  md: 'preflight-scan.md',
};

export function parseFormats(values: string[]): ReportFormat[] {
  const formats = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const unknown = formats.filter((f) => !(reportFormats as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new PreflightError('E_USAGE', `Unknown report format: ${unknown.join(', ')}`, {
      hint: `use ${reportFormats.join(', ')}`,
    });
  }
  return [...new Set(formats)] as ReportFormat[];
}

/** Returns the written paths by format. */
export function writeReports(
  report: ScanReport,
  formats: ReportFormat[],
  outDir: string,
): Partial<Record<ReportFormat, string>> {
  const written: Partial<Record<ReportFormat, string>> = {};
  const files = formats.filter((f): f is Exclude<ReportFormat, 'table'> => f !== 'table');
  if (files.length === 0) return written;
  mkdirSync(outDir, { recursive: true });
  for (const format of files) {
    const path = join(outDir, fileNames[format]);
    const content =
      format === 'json'
        ? `${JSON.stringify(toJsonReport(report), null, 2)}\n`
        : format === 'sarif'
          ? `${JSON.stringify(toSarif(report), null, 2)}\n`
          : format === 'junit'
            ? toJunit(report)
            : toMarkdown(report);
    writeFileSync(path, content);
    written[format] = path;
  }
  return written;
}
