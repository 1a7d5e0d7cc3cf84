/** `preflight scan`: the security probes. */
import type { RegisterCommands } from '../src/core/cli/define.js';

export const registerSecurityCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'scan',
    'Probe the target API for OWASP API Top 10 weaknesses and gate on severity',
    (y) =>
      y
        .option('only', {
          type: 'string',
          array: true,
          describe: 'Probe categories: headers,cors,jwt,authn,authz,injection,resource,exposure',
        })
        .option('fail-on', {
          type: 'string',
          default: 'high',
          describe: 'Exit 1 when a finding is at or above: critical|high|medium|low|info|none',
        })
        .option('format', {
          type: 'string',
          array: true,
          default: ['table'],
          describe: 'Reports: table,json,sarif,junit,md (files go to --out)',
        })
        .option('out', {
          type: 'string',
          default: 'preflight-scan',
          describe: 'Directory for json/sarif/junit/md reports',
        })
        .option('baseline', {
          type: 'string',
          default: 'security/baseline.json',
          describe: 'Baseline of accepted findings',
        })
        .option('update-baseline', {
          type: 'boolean',
          default: false,
          describe: 'Add every current finding to the baseline (drops expired entries)',
        })
        .option('baseline-owner', {
          type: 'string',
          default: 'unassigned',
          describe: 'Owner written into new baseline entries',
        })
        .option('baseline-days', {
          type: 'number',
          default: 90,
          describe: 'Days until new baseline entries expire',
        })
        .option('budget', { type: 'number', default: 3000, describe: 'Most requests the scan may send' })
        .option('concurrency', { type: 'number', default: 8, describe: 'Most requests in flight at once' })
        .option('jwt-public-key', {
          type: 'string',
          describe: 'PEM file of the public key, enables the RS/HS key-confusion check',
        })
        .option('jwt-secret-env', {
          type: 'string',
          describe: 'Variable holding the HS256 secret (white-box: tests exp/aud/iss enforcement)',
        })
        .option('max-token-minutes', {
          type: 'number',
          default: 60,
          describe: 'Longest access-token lifetime the policy allows',
        })
        .option('sleep-seconds', {
          type: 'number',
          default: 1,
          describe: 'pg_sleep delay of the time-based SQL injection check',
        })
        .option('routes', {
          type: 'string',
          describe:
            'YAML file with extra routes to probe (method, path, auth, params) besides OpenAPI and the built-in list',
        })
        .option('read-only', {
          type: 'boolean',
          describe:
            'Skip probes that create/cancel a booking or change and restore a profile (default on production targets)',
        })
        .example('$0 scan', 'Scan the running sandbox, table on stdout, exit 1 on high or critical')
        .example(
          '$0 scan --target staging --format table,sarif,junit,md --out reports',
          'Scan staging and write CI reports',
        )
        .example('$0 scan --only jwt,cors --fail-on medium', 'Run two probe categories with a stricter gate')
        .example(
          '$0 scan --update-baseline --baseline-owner alice',
          'Accept the current findings for 90 days',
        ),
    run(async () => (await import('./scan-command.js')).scanCommand),
  );
