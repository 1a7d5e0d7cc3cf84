/** Writes report.html into a results directory, and the Markdown summary to --summary-md and $GITHUB_STEP_SUMMARY. */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PreflightError } from '../core/errors.js';
import type { ReportRequest, WrittenReport } from '../core/report-hook.js';
import { buildReport } from './build.js';

export const REPORT_FILE = 'report.html';

export async function writeReport(request: ReportRequest): Promise<WrittenReport> {
  const dir = resolve(request.dir);
  const report = await buildReport(dir);
  const html = join(dir, REPORT_FILE);
  writeFileSync(html, report.html);
  const markdown: string[] = [];
  if (request.summaryMd) {
    const path = resolve(request.summaryMd);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, report.markdown);
    } catch (error) {
      throw new PreflightError(
        'E_REPORT',
        `Could not write the Markdown summary to ${path}: ${(error as Error).message}`,
        {
          hint: 'check --summary-md names a writable file',
          cause: error,
        },
      );
    }
    markdown.push(path);
  }
  const stepSummary = request.env?.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    appendFileSync(stepSummary, `${report.markdown}\n`);
    markdown.push(stepSummary);
  }
  return { html, markdown };
}
