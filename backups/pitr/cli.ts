/** `preflight restore`: a base backup restored to a point in time (or an LSN, or the latest archived WAL). */
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../../src/core/cli/context.js';
import type { RegisterCommands } from '../../src/core/cli/define.js';

export const registerRestoreCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'restore',
    'Point-in-time recovery: restore a base backup into a new directory and replay the archived WAL to a time, an LSN or the latest',
    (y: Argv<GlobalArgs>) =>
      y
        .option('storage', {
          type: 'string',
          describe: 'Storage URL: file:///path or s3://bucket/prefix (overrides targets.<t>.backup.storage)',
        })
        .option('to-time', {
          type: 'string',
          describe: 'Recover up to this time (ISO 8601, e.g. 2026-11-30T03:15:00Z)',
        })
        .option('to-lsn', { type: 'string', describe: 'Recover up to this WAL location (e.g. 0/3000028)' })
        .option('latest', { type: 'boolean', describe: 'Recover everything the archive holds' })
        .option('into', {
          type: 'string',
          demandOption: true,
          describe: 'New (or empty) directory for the restored cluster',
        })
        .option('port', { type: 'number', describe: 'Port of the restored server (default: a free one)' })
        .option('base', {
          type: 'string',
          describe: 'Base backup id (default: the newest that can reach the target)',
        })
        .option('stop', {
          type: 'boolean',
          default: false,
          describe: 'Stop the server once recovery ended (default: leave it running)',
        })
        .example(
          '$0 restore --target production --to-time 2026-11-30T03:15:00Z --into /srv/restored --port 5499',
          'Restore production as it was at 03:15 UTC',
        )
        .example(
          '$0 restore --target production --latest --into /srv/restored --json',
          'Everything archived, as JSON',
        ),
    run(async () => (await import('./commands.js')).restoreCommand),
  );
