/** `preflight doctor`: is everything preflight needs installed, and does the target answer? */
import type { RegisterCommands } from '../../core/cli/define.js';

export const registerDoctorCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'doctor',
    'Check Node, the PostgreSQL binaries, optional tools and the target, with a fix for each problem',
    (y) =>
      y
        .option('timeout', {
          type: 'number',
          default: 5,
          describe: 'Seconds to wait for the target API and database',
        })
        .example('$0 doctor', 'Check tools; the default target is checked but only warns when down')
        .example(
          '$0 doctor --target staging --json',
          'Also require staging to answer (exit 3 if not), as JSON',
        )
        .example(
          'PREFLIGHT_PG_BINDIR=/usr/lib/postgresql/16/bin $0 doctor',
          'Check a specific PostgreSQL installation',
        ),
    run(async () => (await import('./command.js')).doctorCommand),
  );
