/** `preflight backup run|base|list|verify|drill|prune|schedule`. */
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../src/core/cli/context.js';
import type { RegisterCommands } from '../src/core/cli/define.js';

const withStorage = <T>(y: Argv<T>) =>
  y.option('storage', {
    type: 'string',
    describe: 'Storage URL: file:///path or s3://bucket/prefix (overrides targets.<t>.backup.storage)',
  });

export const registerBackupCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'backup',
    'Encrypted, verified PostgreSQL backups: run, base, list, verify, drill, prune, schedule',
    (b: Argv<GlobalArgs>) =>
      b
        .command(
          'run',
          'Take a consistent logical backup (pg_dump -Fc in an exported snapshot), age-encrypted and streamed to storage',
          (y) =>
            withStorage(y)
              .example('$0 backup run --target staging', 'Back up staging to its configured storage')
              .example(
                '$0 backup run --target sandbox --storage file:///var/backups/preflight --json',
                'Back up the sandbox to a local directory',
              ),
          run(async () => (await import('./commands.js')).backupRunCommand),
        )
        .command(
          'base',
          'Take a base backup for point-in-time recovery (pg_basebackup -Ft, WAL method none), age-encrypted and streamed to storage',
          (y) =>
            withStorage(y)
              .example(
                '$0 backup base --target production',
                'Base backup of production beside its logical backups',
              )
              .example('$0 backup base --target staging --json', 'The same, the manifest as JSON'),
          run(async () => (await import('./pitr/commands.js')).backupBaseCommand),
        )
        .command(
          'drill',
          'Prove point-in-time recovery: markers around a base backup, restore to a time between two, check exactly the earlier ones came back; RPO and RTO',
          (y) =>
            withStorage(y)
              .option('scratch', {
                type: 'boolean',
                default: false,
                describe:
                  'Run on a throwaway cluster with archiving on (file storage in a temp dir unless --storage)',
              })
              .option('work-dir', {
                type: 'string',
                describe: 'Parent of the throwaway directories (default: the temp dir)',
              })
              .example('$0 backup drill --scratch', 'The drill on a scratch cluster (CI)')
              .example(
                '$0 backup drill --target production',
                'The drill on a self-managed target whose archive_command is `preflight wal push`',
              ),
          run(async () => (await import('./pitr/commands.js')).backupDrillCommand),
        )
        .command(
          'list',
          'List complete backups: id, time, size, duration, verified?',
          (y) =>
            withStorage(y)
              .option('all', {
                type: 'boolean',
                default: false,
                describe: 'Also show incomplete backups (no manifest.json)',
              })
              .example('$0 backup list --target staging', 'Table of the complete backups')
              .example('$0 backup list --storage s3://backups/preflight --json', 'The same as JSON'),
          run(async () => (await import('./commands.js')).backupListCommand),
        )
        .command(
          'verify [id]',
          'Download, check sha256, decrypt, restore into a scratch database and compare exact contents with the manifest',
          (y) =>
            withStorage(y)
              .positional('id', { type: 'string', default: 'latest', describe: 'Backup id or "latest"' })
              .option('into', {
                type: 'string',
                describe:
                  'Restore into a new scratch database on this server (admin URL) instead of a throwaway cluster',
              })
              .option('work-dir', {
                type: 'string',
                describe: 'Scratch directory for the download and the throwaway cluster',
              })
              .option('jobs', { type: 'number', describe: 'pg_restore -j (default backups.restoreJobs)' })
              .option('keep-owners', {
                type: 'boolean',
                describe:
                  'Restore owners and grants too and compare them (the roles must exist where it restores: use with --into)',
              })
              .example('$0 backup verify latest --target staging', 'Prove the newest backup restores exactly')
              .example(
                '$0 backup verify 20261125T030000Z-a1b2c3 --into postgresql://postgres@127.0.0.1:5432/postgres',
                'Restore into a scratch database on an existing server',
              ),
          run(async () => (await import('./commands.js')).backupVerifyCommand),
        )
        .command(
          'prune',
          'Apply grandfather-father-son retention (prints the plan; --apply deletes)',
          (y) =>
            withStorage(y)
              .option('apply', {
                type: 'boolean',
                default: false,
                describe: 'Delete what the plan says (without it nothing is deleted)',
              })
              .example('$0 backup prune --target staging', 'Show what retention would delete')
              .example('$0 backup prune --target staging --apply', 'Delete it'),
          run(async () => (await import('./commands.js')).backupPruneCommand),
        )
        .command(
          'schedule',
          'Print a daily job (backup, verify, prune) for GitHub Actions, Kubernetes or systemd',
          (y) =>
            withStorage(y)
              .option('format', {
                choices: ['github-actions', 'k8s-cronjob', 'systemd'] as const,
                demandOption: true,
                describe: 'Scheduler',
              })
              .option('at', { type: 'string', default: '03:00', describe: 'Time of day, HH:MM UTC' })
              .option('pg-major', {
                type: 'number',
                default: 17,
                describe: 'PostgreSQL major the job installs (>= the server major)',
              })
              .option('image', {
                type: 'string',
                default: 'ghcr.io/your-org/preflight:latest',
                describe: 'Container image (k8s-cronjob)',
              })
              .example(
                '$0 backup schedule --format github-actions --target production > .github/workflows/backup.yml',
                'GitHub Actions workflow',
              )
              .example('$0 backup schedule --format systemd --at 02:30', 'systemd service and timer'),
          run(async () => (await import('./commands.js')).backupScheduleCommand),
        )
        .demandCommand(1, 'Name a backup command: run, base, list, verify, drill, prune or schedule'),
  );
