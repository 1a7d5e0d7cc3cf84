/** `preflight launch`. */
import type { RegisterCommands } from '../../core/cli/define.js';

export const registerLaunchCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'launch',
    'Run the launch-readiness checks (starts the sandbox when it is the target)',
    (y) =>
      y
        .usage(
          '$0 launch [options]\n\nRuns search-check, load, scan, backup and monitoring in order and prints one verdict. ' +
            'A step that errors is a FAIL row and the next step still runs. READY (exit 0) only when every step ran ' +
            'and passed; a step skipped with --skip, or one that could not run here (NOT RUN, e.g. backup keys not ' +
            'configured), keeps the verdict at NOT READY (exit 1) unless --allow-skip names it. The verdict names ' +
            'its report: .preflight/launch/<time>/launch.json, and report.html beside it (charts, no network requests).',
        )
        .option('only', {
          type: 'string',
          array: true,
          describe: 'Run only these steps (the others count as skipped)',
          coerce: splitList,
        })
        .option('skip', {
          type: 'string',
          array: true,
          describe: 'Skip these steps: search-check, load, scan, backup, monitoring',
          coerce: splitList,
        })
        .option('allow-skip', {
          type: 'string',
          array: true,
          describe: 'Steps that may be skipped or not run without holding the verdict at NOT READY',
          coerce: splitList,
        })
        .option('weaken', {
          type: 'string',
          array: true,
          describe: 'Sandbox weakness switches (sandbox target only)',
          coerce: splitList,
        })
        .option('summary-md', {
          type: 'string',
          describe: 'Also write a short Markdown summary here ($GITHUB_STEP_SUMMARY gets it too when set)',
        })
        .example('$0 launch', 'Start the sandbox, run every launch check, stop the sandbox')
        .example('$0 launch --weaken nls-category-match', 'Show the search gate catching the platform bug')
        .example(
          '$0 launch --target staging --skip load',
          'Everything but load: the verdict stays NOT READY (exit 1)',
        )
        .example(
          '$0 launch --target staging --skip backup --allow-skip backup --json',
          'Gate a real target in CI that has no backup storage yet: READY when the other four pass',
        ),
    run(async () => (await import('./command.js')).launchCommand),
  );

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
