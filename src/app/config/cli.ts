/** `preflight config check|schema`. */
import type { RegisterCommands } from '../../core/cli/define.js';

export const registerConfigCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'config <action>',
    'Validate the config or print its JSON Schema',
    (y) =>
      y
        .positional('action', {
          choices: ['check', 'schema'] as const,
          describe: 'check: validate and show the resolved target; schema: print the JSON Schema',
        })
        .example(
          '$0 config check --target staging',
          'Validate preflight.yaml and show the staging target (secrets masked)',
        )
        .example('$0 config schema > preflight.schema.json', 'Write the JSON Schema for editor completion'),
    run(async () => (await import('./commands.js')).configCommand),
  );
