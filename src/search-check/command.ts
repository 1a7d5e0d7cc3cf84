/** The `preflight search-check` handler: resolve the target, run the check, print the table or JSON. */
import { resolve } from 'node:path';
import type { Handler } from '../core/cli/define.js';
import { formatReport } from './report.js';
import { searchCheck } from './run.js';

export interface SearchCheckArgs {
  queries?: string;
  minPrecision?: number;
  maxZeroResultRate?: number;
  limit: number;
}

export const searchCheckCommand: Handler<SearchCheckArgs> = async (argv, context) => {
  const target = context.resolveTarget();
  const { report, exitCode } = await searchCheck({
    target,
    queriesFile: argv.queries === undefined ? undefined : resolve(context.cwd, argv.queries),
    minPrecision: argv.minPrecision,
    maxZeroResultRate: argv.maxZeroResultRate,
    limit: argv.limit,
    onProgress: (message) => context.out.info(message),
  });
  context.out.result(report);
  context.out.print(formatReport(report, context.out.paint));
  return exitCode;
};
