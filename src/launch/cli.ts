/** `preflight launch`. */
import type { RegisterCommands } from '../cli/define.js';

export const registerLaunchCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'launch',
    'Run the launch-readiness checks (starts the sandbox when it is the target)',
    (y) =>
      y
        .option('only', { type: 'string', array: true, describe: 'Run only these checks', coerce: splitList })
        .option('skip', { type: 'string', array: true, describe: 'Skip these checks', coerce: splitList })
        .option('weaken', {
          type: 'string',
          array: true,
          describe: 'Sandbox weakness switches (sandbox target only)',
          coerce: splitList,
        })
        .example('$0 launch', 'Start the sandbox, run every launch check, stop the sandbox')
        .example('$0 launch --weaken nls-category-match', 'Show the search gate catching the platform bug')
        .example('$0 launch --target staging --only search-check --json', 'Gate a real target in CI'),
    run(async () => (await import('./command.js')).launchCommand),
  );

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
