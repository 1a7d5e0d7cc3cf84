/** `preflight wal push|fetch|archiver|list|verify|prune`: the WAL archive for point-in-time recovery. */
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../../src/core/cli/context.js';
import type { RegisterCommands } from '../../src/core/cli/define.js';

const withStorage = <T>(y: Argv<T>) =>
  y.option('storage', {
    type: 'string',
    describe: 'Storage URL: file:///path or s3://bucket/prefix (overrides targets.<t>.backup.storage)',
  });

export const registerWalCommands: RegisterCommands = (yargs, run) =>
  yargs.command(
    'wal',
    'WAL archive for point-in-time recovery: push, fetch, archiver, list, verify, prune, command',
    (w: Argv<GlobalArgs>) =>
      w
        .command(
          'push <path>',
          'Archive one WAL file, compressed and age-encrypted (archive_command: exits non-zero on any failure, so PostgreSQL keeps the file and retries)',
          (y) =>
            withStorage(y)
              .positional('path', { type: 'string', demandOption: true, describe: 'The WAL file (%p)' })
              .option('async', {
                type: 'boolean',
                default: false,
                describe:
                  'Answer from the spool of a running `wal archiver` (push it here only if it is not stored)',
              })
              .option('spool-dir', {
                type: 'string',
                describe: 'The archiver spool (default $PREFLIGHT_HOME/wal-spool/<target>)',
              })
              .example(
                "archive_command = '/usr/bin/node /opt/preflight/bin/preflight-wal.js push %p --target production --config /etc/preflight/preflight.yaml'",
                'In postgresql.conf (`preflight wal command push` prints it)',
              )
              .example(
                '$0 wal push pg_wal/000000010000000000000003 --target staging',
                'Archive one segment by hand',
              ),
          run(async () => (await import('./commands.js')).walPushCommand),
        )
        .command(
          'fetch <name> <dest>',
          'Restore one WAL file from the archive (restore_command: exits 1 when it is missing or damaged)',
          (y) =>
            withStorage(y)
              .positional('name', { type: 'string', demandOption: true, describe: 'The WAL file name (%f)' })
              .positional('dest', { type: 'string', demandOption: true, describe: 'Where to write it (%p)' })
              .option('async', {
                type: 'boolean',
                default: false,
                describe:
                  'Fetch the next segments ahead in a background `wal prefetch` and answer from its spool (missing or damaged segments end as without it)',
              })
              .option('prefetch', {
                type: 'number',
                default: 8,
                describe: '--async: segments kept fetched ahead',
              })
              .option('spool-dir', {
                type: 'string',
                describe: '--async: the prefetch spool (default pg_wal/preflight-prefetch beside <dest>)',
              })
              .example(
                "restore_command = '/usr/bin/node /opt/preflight/bin/preflight-wal.js fetch %f %p --target production'",
                'In postgresql.conf of the cluster being restored',
              )
              .example(
                '$0 wal fetch 000000010000000000000003 /tmp/seg --target staging',
                'Download and decrypt one segment',
              )
              .example(
                "restore_command = '/usr/bin/node /opt/preflight/bin/preflight-wal.js fetch %f %p --target production --async'",
                'Recovery with the next 8 segments fetched ahead (`preflight wal command fetch --async` prints it)',
              ),
          run(async () => (await import('./commands.js')).walFetchCommand),
        )
        .command(
          'prefetch <name>',
          false, // started by `wal fetch --async`, not by hand
          (y) =>
            withStorage(y)
              .positional('name', {
                type: 'string',
                demandOption: true,
                describe: 'Fetch the segments after it',
              })
              .option('pgdata', {
                type: 'string',
                demandOption: true,
                describe: 'The recovering data directory',
              })
              .option('prefetch', { type: 'number', default: 8, describe: 'Segments kept fetched ahead' })
              .option('spool-dir', { type: 'string', describe: 'The prefetch spool' })
              .option('concurrency', { type: 'number', default: 2, describe: 'Downloads at once' })
              .option('idle-ms', {
                type: 'number',
                default: 30_000,
                describe: 'End when nothing is taken this long',
              }),
          run(async () => (await import('./commands.js')).walPrefetchCommand),
        )
        .command(
          'archiver',
          'Long-running asynchronous archiver: stores ready WAL files ahead of PostgreSQL, in parallel, for `wal push --async`',
          (y) =>
            withStorage(y)
              .option('pgdata', {
                type: 'string',
                demandOption: true,
                describe: 'Data directory of the cluster',
              })
              .option('spool-dir', {
                type: 'string',
                describe:
                  'Spool directory shared with `wal push --async` (default $PREFLIGHT_HOME/wal-spool/<target>)',
              })
              .option('concurrency', { type: 'number', default: 4, describe: 'Uploads at once' })
              .example(
                '$0 wal archiver --pgdata /var/lib/postgresql/15/main --spool-dir /var/spool/preflight --target production',
                'Run beside PostgreSQL (as its OS user); stop with SIGTERM',
              ),
          run(async () => (await import('./commands.js')).walArchiverCommand),
        )
        .command(
          'list',
          'List the archived WAL files per timeline',
          (y) =>
            withStorage(y)
              .example('$0 wal list --target staging', 'Table of the archive')
              .example('$0 wal list --target staging --json', 'The same as JSON'),
          run(async () => (await import('./commands.js')).walListCommand),
        )
        .command(
          'verify',
          'Download and check every archived WAL file (sha256 after decrypting) and find gaps per timeline; exits 1 on any',
          (y) =>
            withStorage(y)
              .example('$0 wal verify --target staging', 'Check the whole archive')
              .example('$0 wal verify --target staging --json', 'Gaps and mismatches as JSON'),
          run(async () => (await import('./commands.js')).walVerifyCommand),
        )
        .command(
          'prune',
          'Delete archived WAL no retained base backup needs (prints the plan; --apply deletes)',
          (y) =>
            withStorage(y)
              .option('keep-from', {
                type: 'string',
                array: true,
                describe:
                  'Start segment of a retained base backup (repeat for each); without any, nothing is pruned',
              })
              .option('apply', {
                type: 'boolean',
                default: false,
                describe: 'Delete what the plan says (without it nothing is deleted)',
              })
              .example(
                '$0 wal prune --target staging --keep-from 000000010000000000000010',
                'Show what would go',
              )
              .example(
                '$0 wal prune --target staging --keep-from 000000010000000000000010 --apply',
                'Delete it',
              ),
          run(async () => (await import('./commands.js')).walPruneCommand),
        )
        .command(
          'command <kind>',
          'Print the archive_command (push) or restore_command (fetch) line for postgresql.conf',
          (y) =>
            withStorage(y)
              .positional('kind', { choices: ['push', 'fetch'] as const, demandOption: true })
              .option('async', {
                type: 'boolean',
                default: false,
                describe: 'push: answer from the archiver spool; fetch: fetch segments ahead',
              })
              .option('spool-dir', { type: 'string', describe: 'push --async: the archiver spool directory' })
              .example(
                '$0 wal command push --target production --config /etc/preflight/preflight.yaml --storage s3://backups/prod',
                'The archive_command line',
              )
              .example(
                '$0 wal command push --async --spool-dir /var/spool/preflight --target production',
                'The same for the async mode (run `wal archiver` beside PostgreSQL)',
              ),
          run(async () => (await import('./commands.js')).walCommandCommand),
        )
        .demandCommand(1, 'Name a wal command: push, fetch, archiver, list, verify, prune or command'),
  );
