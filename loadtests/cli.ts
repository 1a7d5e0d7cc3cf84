/** `preflight load run|capacity|k6-operator|verdict|list`. */
import type { RegisterCommands } from '../src/core/cli/define.js';

export const registerLoadCommands: RegisterCommands = (yargs, run) =>
  yargs.command('load <command>', 'Load tests: portable k6 scenarios on k6 or the built-in engine', (y) =>
    y
      .command(
        'run <scenario>',
        'Run a scenario (a name from loadtests/scenarios or a script path)',
        (c) =>
          c
            .positional('scenario', {
              type: 'string',
              demandOption: true,
              describe: 'Scenario name or path to a k6 script',
            })
            .option('env', {
              alias: 'e',
              type: 'string',
              array: true,
              default: [],
              describe: 'KEY=VALUE for __ENV (as k6 -e)',
            })
            .option('vus', { type: 'number', describe: 'VUs (as k6 --vus; replaces the script scenarios)' })
            .option('duration', { type: 'string', describe: 'Duration, e.g. 30s (as k6 --duration)' })
            .option('iterations', { type: 'number', describe: 'Total iterations (as k6 --iterations)' })
            .option('engine', {
              choices: ['k6', 'native'] as const,
              describe: 'Engine (default: k6 when found, else native)',
            })
            .option('workers', {
              type: 'number',
              default: 1,
              describe: 'Native engine worker threads (use more than one core)',
            })
            .option('out', {
              type: 'string',
              array: true,
              default: [],
              describe: 'Output, e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write',
            })
            .option('testid', {
              type: 'string',
              describe: 'testid tag on every sample (default: the run id)',
            })
            .option('results-dir', {
              type: 'string',
              describe: 'Where results/<run-id>/ goes (default ./results)',
            })
            .option('summary-md', {
              type: 'string',
              describe:
                'Also write a short Markdown summary here ($GITHUB_STEP_SUMMARY gets it too when set)',
            })
            .option('i-understand-this-is-production', {
              type: 'boolean',
              default: false,
              describe: 'Allow load against a target marked production',
            })
            .example('$0 load run smoke', 'Smoke-test the sandbox (default target)')
            .example(
              '$0 load run search-mix --target staging --vus 20 --duration 1m',
              'Run against staging with k6 flags',
            )
            .example(
              '$0 load run ./my-test.js --engine native --workers 2 -e BASE_URL=http://127.0.0.1:8000',
              'Any k6 script on loopback',
            )
            .example(
              '$0 load run smoke --out prometheus-rw=http://127.0.0.1:9090/api/v1/write --testid rc1',
              'Push metrics to Prometheus',
            )
            .example(
              '$0 load run connection-loss --target staging -e CONNECTION_LOSS_AT=5',
              "Terminate the platform's database sessions at 5 s; judge the error burst and recovery time",
            ),
        run(async () => (await import('./commands.js')).loadRunCommand),
      )
      .command(
        'capacity <scenario>',
        'Find the highest arrival rate that meets an SLO (ramp to a bracket, then bisect with short constant-rate steps)',
        (c) =>
          c
            .positional('scenario', {
              type: 'string',
              demandOption: true,
              describe: 'An arrival-rate scenario (search-mix, pool-saturation)',
            })
            .option('slo', {
              type: 'string',
              demandOption: true,
              describe: 'e.g. "p(95)<300,rate<0.01" (latency in ms; rate = error ratio)',
            })
            .option('min-rps', {
              type: 'number',
              describe: 'Exit 1 when the capacity found is below this floor',
            })
            .option('start-rps', { type: 'number', describe: 'First step (default 10 req/s)' })
            .option('max-rps', { type: 'number', describe: 'Highest step tried (default 1000 req/s)' })
            .option('results-dir', {
              type: 'string',
              describe:
                'Write capacity.json and report.html (the capacity curve) under <dir>/<id>-capacity-<scenario>/',
            })
            .option('step-duration', {
              type: 'string',
              default: '10s',
              describe: 'Length of each constant-rate step',
            })
            .option('sample-interval', {
              type: 'number',
              default: 2000,
              describe: 'Metrics/pg_stat_activity sampling period in ms (0: off)',
            })
            .option('env', {
              alias: 'e',
              type: 'string',
              array: true,
              default: [],
              describe: 'KEY=VALUE for __ENV (as k6 -e)',
            })
            .option('engine', {
              choices: ['k6', 'native'] as const,
              describe: 'Engine (default: k6 when found, else native)',
            })
            .option('workers', { type: 'number', default: 1, describe: 'Native engine worker threads' })
            .option('i-understand-this-is-production', {
              type: 'boolean',
              default: false,
              describe: 'Allow load against a target marked production',
            })
            .example(
              '$0 load capacity search-mix --slo "p(95)<300,rate<0.01"',
              'Capacity of search against the sandbox',
            )
            .example(
              '$0 load capacity search-mix --target staging --slo "p(95)<300,rate<0.01" --min-rps 200 --max-rps 800',
              'Fail the build below 200 req/s',
            ),
        run(async () => (await import('./launch/commands.js')).loadCapacityCommand),
      )
      .command(
        'k6-operator <scenario>',
        'Write a k6-operator TestRun and a ConfigMap with the bundled script',
        (c) =>
          c
            .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario name or path' })
            .option('parallelism', {
              type: 'number',
              demandOption: true,
              describe: 'Number of k6 runner pods',
            })
            .option('namespace', { type: 'string', default: 'default', describe: 'Kubernetes namespace' })
            .option('prometheus-rw', { type: 'string', describe: 'Remote-write URL the runners push to' })
            .option('testid', { type: 'string', describe: 'testid tag (default: generated)' })
            .option('out-dir', {
              type: 'string',
              describe: 'Write testrun.yaml and configmap.yaml here (default: print to stdout)',
            })
            .option('env', {
              alias: 'e',
              type: 'string',
              array: true,
              default: [],
              describe: 'KEY=VALUE for __ENV',
            })
            .example(
              '$0 load k6-operator smoke --parallelism 4 --prometheus-rw http://prometheus:9090/api/v1/write --out-dir k8s/',
              'Distributed run',
            )
            .example(
              '$0 load verdict --prometheus http://prometheus:9090 --testid <id> smoke',
              'Then evaluate thresholds over all runners',
            ),
        run(async () => (await import('./commands.js')).loadOperatorCommand),
      )
      .command(
        'verdict <scenario>',
        "Evaluate a scenario's thresholds over all runners from Prometheus",
        (c) =>
          c
            .positional('scenario', {
              type: 'string',
              demandOption: true,
              describe: 'Scenario whose thresholds apply',
            })
            .option('prometheus', { type: 'string', demandOption: true, describe: 'Prometheus base URL' })
            .option('testid', { type: 'string', demandOption: true, describe: 'The testid of the run' })
            .option('env', {
              alias: 'e',
              type: 'string',
              array: true,
              default: [],
              describe: 'KEY=VALUE for __ENV (if options depend on it)',
            })
            .example(
              '$0 load verdict --prometheus http://127.0.0.1:9090 --testid rc1 smoke',
              'Exit 1 when a threshold fails',
            ),
        run(async () => (await import('./commands.js')).loadVerdictCommand),
      )
      .command(
        'list',
        'List the scenarios in loadtests/scenarios',
        (c) => c.example('$0 load list', 'Show scenario names'),
        run(async () => (await import('./commands.js')).loadListCommand),
      )
      .demandCommand(1, 'Name a load command: run, capacity, k6-operator, verdict, list'),
  );
