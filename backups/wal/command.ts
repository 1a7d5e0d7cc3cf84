/**
 * The exact archive_command / restore_command that runs preflight: absolute node, absolute bin/preflight-wal.js
 * (`preflight wal ...` with a fast path for `push --async`), PostgreSQL's %p / %f placeholders, every other
 * argument single-quoted for the shell and with % doubled (PostgreSQL would expand it).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreflightError } from '../../src/core/errors.js';
import { getPreflightHome } from '../../src/core/home.js';
import { ARCHIVED_DIR, PID_FILE } from './spool.js';

export interface WalCommandOptions {
  target: string;
  configPath?: string;
  /** Storage URL; a relative directory is made absolute (the command runs in the data directory). */
  storage?: string;
  /**
   * push: answer from the archiver's spool (`preflight wal archiver`). fetch: fetch the next segments ahead in a
   * background prefetcher (spool: pg_wal/preflight-prefetch of the recovering cluster unless spoolDir is given).
   */
  async?: boolean;
  /** fetch --async: segments kept fetched ahead (default 8). */
  prefetch?: number;
  /** push --async: the archiver's spool directory (default $PREFLIGHT_HOME/wal-spool/<target>); fetch --async: the prefetch spool. */
  spoolDir?: string;
  /** The node binary (default: the one running now). */
  nodePath?: string;
}

export const WAL_ENTRY = 'preflight-wal.js';

/** bin/preflight-wal.js of this installation, found upwards from this module (source or dist). */
export function findWalEntry(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'bin', WAL_ENTRY);
    if (existsSync(candidate)) return candidate;
  }
  throw new PreflightError('E_INTERNAL', `bin/${WAL_ENTRY} not found above ${from}`, {
    hint: 'reinstall preflight: the package ships bin/preflight-wal.js',
  });
}

export function quoteForCommand(value: string): string {
  return `'${value.replace(/%/g, '%%').replace(/'/g, `'\\''`)}'`;
}

export function getDefaultSpoolDir(target: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(getPreflightHome(env), 'wal-spool', target);
}

function absoluteStorage(storage: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(storage) || isAbsolute(storage)) return storage;
  return resolve(storage);
}

/**
 * push --async: the shell (archive_command runs under /bin/sh) answers 0 itself when the archiver's marker holds the
 * identity of this very file (size, inode, mtime in ns: spool.ts formatFileIdentity), removing the marker. While the
 * archiver named by the pid file runs (its pid alive with the start time recorded: spool.ts getRunningArchiverPid),
 * it waits for the marker up to ~3 s (60 x 50 ms), like `push --async`; any other case (no archiver, a recycled
 * file, stat or rm failing) runs the node command. No process start per stored segment: PostgreSQL's
 * one-command-at-a-time archiver keeps up with the `wal archiver`.
 */
function spoolCheck(spoolDir: string): string {
  const path = (name: string) => quoteForCommand(join(spoolDir, name));
  const marker = path(join(ARCHIVED_DIR, 'X')).replace(/X'$/, "'%f");
  return [
    `f=${marker}; n=0`,
    `{ read -r p t < ${path(PID_FILE)}; } 2>/dev/null && [ -n "$t" ] && [ "$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f20)" = "$t" ] && n=60`,
    `while :; do m=$(cat "$f" 2>/dev/null) && [ -n "$m" ] && [ "$m" = "$(stat -c '%%s %%i %%.9Y' %p)" ] && rm -f "$f" && exit 0; [ $n -gt 0 ] && [ -e /proc/$p ] || break; n=$((n-1)); sleep 0.05; done; `,
  ].join('; ');
}

export function buildWalCommand(kind: 'push' | 'fetch', o: WalCommandOptions): string {
  const parts = [quoteForCommand(o.nodePath ?? process.execPath), quoteForCommand(findWalEntry())];
  parts.push(kind, ...(kind === 'push' ? ['%p'] : ['%f', '%p']));
  parts.push('--target', quoteForCommand(o.target));
  if (o.configPath) parts.push('--config', quoteForCommand(resolve(o.configPath)));
  if (o.storage) parts.push('--storage', quoteForCommand(absoluteStorage(o.storage)));
  const spoolDir = resolve(o.spoolDir ?? getDefaultSpoolDir(o.target));
  if (kind === 'push' && o.async) parts.push('--async', '--spool-dir', quoteForCommand(spoolDir));
  if (kind === 'fetch' && o.async) {
    parts.push('--async');
    if (o.prefetch !== undefined) parts.push('--prefetch', String(Math.max(1, Math.floor(o.prefetch))));
    if (o.spoolDir) parts.push('--spool-dir', quoteForCommand(resolve(o.spoolDir)));
  }
  return (kind === 'push' && o.async ? spoolCheck(spoolDir) : '') + parts.join(' ');
}
