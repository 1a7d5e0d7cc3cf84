/** `preflight report <dir>`. */
import type { RegisterCommands } from '../core/cli/define.js';

export const registerReportCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'report <dir>',
    'Build the self-contained HTML report of a launch or load results directory',
    (y) =>
      y
        .usage(
          '$0 report <dir> [--open] [--summary-md FILE]\n\nWrites <dir>/report.html: one file with its charts, styles and data ' +
            'inlined (no network requests), for a launch directory (.preflight/launch/<time>) or a load results ' +
            'directory (results/<run-id>, from the native engine or k6) or a capacity search (capacity.json, from ' +
            '`load capacity --results-dir`). Also appends the Markdown summary to ' +
            '$GITHUB_STEP_SUMMARY when set.',
        )
        .positional('dir', {
          type: 'string',
          demandOption: true,
          describe: 'A launch, load results or capacity directory',
        })
        .option('open', {
          type: 'boolean',
          default: false,
          describe: 'Open the report in the default browser',
        })
        .option('summary-md', {
          type: 'string',
          describe: 'Also write a short Markdown summary to this file',
        })
        .example(
          '$0 report .preflight/launch/2026-11-30T15-15-37-658Z',
          'Rebuild the report of an old launch',
        )
        .example('$0 report results/20261130T151541Z-smoke-aisy --open', 'Build and open a load run report')
        .example('$0 report results/<run> --summary-md summary.md', 'Write the CI summary as well'),
    run(async () => (await import('./commands.js')).reportCommand),
  );
