/** `preflight sandbox up|down|status|reset`. */
import type { RegisterCommands } from '../core/cli/define.js';
import { weaknessNames } from './weaknesses.js';

export const registerSandboxCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'sandbox',
    'Run the local twin of the platform (PostgreSQL + API) that every check can target',
    (y) =>
      y
        .command(
          'up',
          'Start the sandbox: throwaway PostgreSQL, seeded database and the API twin',
          (u) =>
            u
              .option('detach', {
                type: 'boolean',
                default: false,
                describe: 'Run in the background and return once it is healthy',
              })
              .option('weaken', {
                type: 'string',
                array: true,
                describe: `Weakness switches, comma separated (hardened by default): ${weaknessNames.join(', ')}`,
              })
              .option('pool-size', { type: 'number', describe: "The API's database pool size (default 8)" })
              .option('pool-timeout-ms', {
                type: 'number',
                describe: 'Pool acquire timeout in ms (default 5000)',
              })
              .option('port', { type: 'number', describe: 'API port (default: a free port)' })
              .option('internal-foreground', { type: 'boolean', default: false, hidden: true })
              .example('$0 sandbox up', 'Start in the foreground; Ctrl-C stops it and removes its data')
              .example(
                '$0 sandbox up --detach --json',
                'Start in the background and print URLs, database URLs and accounts as JSON',
              )
              .example(
                '$0 sandbox up --detach --weaken nls-category-match,double-booking',
                'Reproduce the search bug and the booking race',
              )
              .example(
                '$0 sandbox up --pool-size 4 --pool-timeout-ms 1000',
                'A small pool, so exhaustion shows under load',
              ),
          run(async () => (await import('./commands.js')).sandboxUpCommand),
        )
        .command(
          'down',
          'Stop the sandbox and remove its data (also cleans up after a crashed run)',
          (d) =>
            d.example('$0 sandbox down', 'Stop the detached sandbox; no process or data directory is left'),
          run(async () => (await import('./commands.js')).sandboxDownCommand),
        )
        .command(
          'status',
          'Report whether the sandbox runs and is healthy (exit 0 healthy, 3 not running)',
          (s) => s.example('$0 sandbox status --json', 'Health of the API and the database as JSON'),
          run(async () => (await import('./commands.js')).sandboxStatusCommand),
        )
        .command(
          'reset',
          'Restore the seed data (recreates the database from its template)',
          (r) => r.example('$0 sandbox reset', 'Undo every booking and change made since `up`'),
          run(async () => (await import('./commands.js')).sandboxResetCommand),
        )
        .demandCommand(1, 'Name a sandbox action: up, down, status or reset'),
  );
