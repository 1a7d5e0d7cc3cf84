/** `preflight monitor synth|diff|deploy|test|up|alloy|pool`. */
import type { RegisterCommands } from '../src/core/cli/define.js';

export const registerMonitorCommands: RegisterCommands = (yargs, run) =>
  yargs.command('monitor', 'Monitoring as code: Grafana dashboards, alerts and their proof', (y) =>
    y
      .command(
        'synth',
        'Write one cdk.tf.json per environment (cdktf.out/stacks/<env>/) and the Prometheus rule files',
        (c) =>
          c
            .option('out', { type: 'string', describe: 'Output directory (default: cdktf.out)' })
            .option('environment', {
              type: 'array',
              string: true,
              describe: 'Only these environments (target names)',
            })
            .example('$0 monitor synth', 'Synthesize every environment of monitoring.environments')
            .example(
              '$0 monitor synth --environment staging --json',
              'Only staging; print the stacks as JSON',
            ),
        run(async () => (await import('./commands.js')).synthCommand),
      )
      .command(
        'diff',
        'Synthesize, then show what would change in Grafana (cdktn diff or terraform plan)',
        (c) =>
          c
            .option('terraform', {
              type: 'string',
              describe: 'Terraform or tofu executable (default: $TERRAFORM_BIN, PATH)',
            })
            .option('environment', { type: 'array', string: true, describe: 'Only these environments' })
            .option('out', { type: 'string', describe: 'Output directory (default: cdktf.out)' })
            .example(
              '$0 monitor diff --environment staging',
              'Plan the staging stack (TF_VAR_grafana_auth etc. in the environment)',
            ),
        run(async () => (await import('./commands.js')).diffCommand),
      )
      .command(
        'deploy',
        'Synthesize, then apply the stacks to Grafana (cdktn deploy or terraform apply)',
        (c) =>
          c
            .option('yes', { type: 'boolean', default: false, describe: 'Apply without asking (required)' })
            .option('terraform', {
              type: 'string',
              describe: 'Terraform or tofu executable (default: $TERRAFORM_BIN, PATH)',
            })
            .option('environment', { type: 'array', string: true, describe: 'Only these environments' })
            .option('out', { type: 'string', describe: 'Output directory (default: cdktf.out)' })
            .example('$0 monitor deploy --environment production --yes', 'Apply the production stack'),
        run(async () => (await import('./commands.js')).deployCommand),
      )
      .command(
        'test',
        'Prove the monitoring: promtool check + unit tests, dashboard and Terraform structure, live metric inventory',
        (c) =>
          c
            .option('pushgateway', {
              type: 'string',
              describe: 'Pushgateway with the backup metrics (default: backups.pushgatewayUrl)',
            })
            .option('pool-exporter', {
              type: 'string',
              describe:
                'The /metrics URL of a running `monitor pool`: also check the Connection pool panels and alerts against it',
            })
            .option('k6-prometheus', {
              type: 'string',
              describe:
                'Prometheus a load run remote-wrote to: also check the Load tests panels against its k6 series',
            })
            .option('promtool', {
              type: 'string',
              describe: 'promtool executable (default: promtool on PATH)',
            })
            .option('inventory', {
              type: 'boolean',
              default: true,
              describe: 'Check queries against the live target (--no-inventory to skip)',
            })
            .example('$0 monitor test', 'Against the running sandbox')
            .example(
              '$0 monitor test --target staging --pushgateway http://127.0.0.1:9091',
              'Against staging and the backup Pushgateway',
            )
            .example('$0 monitor test --no-inventory --json', 'Offline checks only, as JSON'),
        run(async () => (await import('./commands.js')).testCommand),
      )
      .command(
        'up',
        'Run a local Prometheus (loopback) that scrapes the target with the generated rules, until Ctrl-C',
        (c) =>
          c
            .option('port', { type: 'number', describe: 'Listen port (default: a free one)' })
            .option('pushgateway', {
              type: 'string',
              describe: 'Also scrape this Pushgateway (default: backups.pushgatewayUrl)',
            })
            .option('prometheus', {
              type: 'string',
              describe: 'prometheus executable (default: prometheus on PATH)',
            })
            .option('scrape-interval', { type: 'string', default: '15s', describe: 'Scrape interval' })
            .option('evaluation-interval', {
              type: 'string',
              default: '15s',
              describe: 'Rule evaluation interval',
            })
            .option('for', {
              type: 'string',
              describe: "Override every alert's `for` (e.g. 0s to watch alerts fire at once)",
            })
            .example('$0 monitor up', 'Watch the sandbox; open the printed URL /alerts')
            .example(
              '$0 monitor up --for 10s --scrape-interval 2s',
              'Short windows for a demo during a load test',
            ),
        run(async () => (await import('./commands.js')).upCommand),
      )
      .command(
        'alloy',
        'Print a Grafana Alloy config that scrapes the platform and Supabase and remote-writes to Grafana Cloud',
        (c) =>
          c
            .option('out', { type: 'string', describe: 'Write to this file instead of stdout' })
            .example(
              '$0 monitor alloy --target production > config.alloy',
              'Generate the production scraper config',
            ),
        run(async () => (await import('./commands.js')).alloyCommand),
      )
      .command(
        'pool',
        'Export connection-pool metrics (PostgreSQL, PgBouncer or Supabase, acquire probe) on /metrics until Ctrl-C',
        (c) =>
          c
            .option('listen', {
              type: 'string',
              describe:
                'host:port to serve /metrics on (port 0: a free one; default: pool.exporterAddress, 127.0.0.1:9187)',
            })
            .option('interval', {
              type: 'number',
              describe: 'Seconds between polls and acquire probes (default: pool.probeIntervalSeconds, 5)',
            })
            .example('$0 monitor pool --target staging', 'Serve http://127.0.0.1:9187/metrics for staging')
            .example(
              '$0 monitor pool --target staging --listen 127.0.0.1:0 --interval 2 --json',
              'A free port; print the bound URL as JSON',
            ),
        run(async () => (await import('./commands.js')).poolCommand),
      )
      .demandCommand(1, 'Name a monitor command: synth, diff, deploy, test, up, alloy or pool'),
  );
