/** `preflight search-check`: the search precision gate. */
import type { RegisterCommands } from '../core/cli/define.js';

export const registerSearchCheckCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'search-check',
    'Run the golden search queries and fail when results break their service or price constraint',
    (y) =>
      y
        .option('queries', {
          type: 'string',
          describe: 'Golden query file (default: the set kept in the repo)',
        })
        .option('min-precision', {
          type: 'number',
          describe: 'Minimum constraint-satisfaction rate, 0-1 (default: searchCheck.minPrecision, 0.95)',
        })
        .option('max-zero-result-rate', {
          type: 'number',
          describe:
            'Maximum share of queries with no results, 0-1 (default: searchCheck.maxZeroResultRate, 0.05)',
        })
        .option('limit', { type: 'number', default: 20, describe: 'Results asked per query (1-50)' })
        .example('$0 search-check', 'Check the running sandbox (`preflight sandbox up --detach` first)')
        .example('$0 search-check --target staging --json', 'Check staging and print the report as JSON')
        .example(
          '$0 search-check --queries my-queries.yaml --min-precision 0.9',
          'Use another golden set and threshold',
        ),
    run(async () => (await import('./command.js')).searchCheckCommand),
  );
