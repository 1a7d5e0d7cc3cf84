/** Handler of `preflight report <dir>`. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../core/cli/define.js';
import { ExitCode } from '../core/errors.js';
import { findTool, runTool } from '../core/process.js';
import { writeReport } from './write.js';

export interface ReportArgs {
  dir: string;
  open?: boolean;
  summaryMd?: string;
}

export const reportCommand: Handler<ReportArgs> = async (argv, context) => {
  const { out } = context;
  const written = await writeReport({
    dir: resolve(context.cwd, argv.dir),
    summaryMd: argv.summaryMd ? resolve(context.cwd, argv.summaryMd) : undefined,
    env: context.env,
  });
  const url = pathToFileURL(written.html).toString();
  out.print(`Report: ${written.html}\n        ${url}`);
  for (const md of written.markdown) out.print(`Summary: ${md}`);
  let opened: string | undefined;
  if (argv.open) {
    opened = await openInBrowser(written.html);
    if (opened) out.info(`opened with ${opened}`);
    else out.warn('no browser opener found (xdg-open or open); open the file:// URL above yourself');
  }
  out.result({ ok: true, html: written.html, url, markdown: written.markdown, opened: opened ?? null });
  return ExitCode.ok;
};

/** Opens a file with xdg-open (Linux) or open (macOS); returns the opener used, or undefined when there is none. */
export async function openInBrowser(path: string): Promise<string | undefined> {
  const opener = ['xdg-open', 'open'].find((tool) => findTool(tool));
  if (!opener) return undefined;
  await runTool(opener, [path], { timeoutMs: 15_000 });
  return opener;
}
