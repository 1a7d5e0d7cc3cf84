#!/usr/bin/env node
// `preflight wal <args>`, the entry archive_command and restore_command call (see buildWalCommand).
// `push <path> --async` is answered from the archiver's spool without loading the CLI when the file is stored;
// `fetch <name> <dest> --async` from the prefetch spool when the segment was fetched ahead.
import { fileURLToPath } from 'node:url';
import { answerFetchFromSpool, answerPushFromSpool } from '../dist/backups/wal/spool.js';

const args = process.argv.slice(2);
if (!answerFetchFromSpool(args, fileURLToPath(import.meta.url)) && !(await answerPushFromSpool(args))) {
  const { main } = await import('../dist/src/app/cli.js');
  process.exitCode = await main(['wal', ...args]);
}
