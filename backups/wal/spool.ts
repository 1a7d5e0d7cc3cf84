/**
 * The async archiver's spool: `<spool>/archived/<file name>` is written (beside, then renamed) only after the file is
 * stored, holding the size, inode and mtime (ns) the file had when it was read (formatFileIdentity);
 * `<spool>/archiver.pid` names the running archiver by pid and start time (a pid reused after a crash is not taken
 * for it). archive_command's shell check (command.ts), else `wal push --async`, answers 0 from a marker that matches
 * the file PostgreSQL hands it, and removes the marker; anything else (no marker, a recycled file, a stale marker)
 * falls back to a real push. Also the prefetch spool of `wal fetch --async` (prefetch.ts). Imports only node
 * builtins: bin/preflight-wal.js loads this alone, before (and usually instead of) the whole CLI.
 *
 * Measured here (Node 20, 2 cores shared with other work): at load average ~13, `node -e 0` 100 ms, the node fast
 * path (`bin/preflight-wal.js push %p --async` answered from a marker) 97 ms, the whole CLI (`bin/preflight.js wal
 * push --help`) 286 ms and a real `wal fetch` 620 ms before the AWS SDK was loaded lazily; the shell check of
 * archive_command about 6 ms at load ~4 (cat, stat, rm).
 */
import { spawn } from 'node:child_process';
import {
  type BigIntStats,
  chownSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * What identifies the very file PostgreSQL hands `wal push`: `<size> <inode> <mtime seconds.nanoseconds>`, the text
 * GNU `stat -c '%s %i %.9Y'` prints, so archive_command's shell check (command.ts) and this module agree.
 */
export function formatFileIdentity(info: BigIntStats): string {
  const ns = info.mtimeNs % 1_000_000_000n;
  return `${info.size} ${info.ino} ${info.mtimeNs / 1_000_000_000n}.${ns.toString().padStart(9, '0')}`;
}

/** The identity of the file at `path`, undefined when it cannot be read. */
export function getFileIdentity(path: string): string | undefined {
  try {
    return formatFileIdentity(statSync(path, { bigint: true }));
  } catch {
    return undefined;
  }
}

export interface FileOwner {
  uid: number;
  gid: number;
}

export const ARCHIVED_DIR = 'archived';
export const PID_FILE = 'archiver.pid';
/** `wal fetch --async`: verified segments fetched ahead, and the prefetcher's pid file (prefetch.ts). */
export const FETCHED_DIR = 'fetched';
export const PREFETCH_PID_FILE = 'prefetch.pid';
/** The prefetch spool when --spool-dir is not given: beside %p, in the recovering cluster's pg_wal. */
export const DEFAULT_PREFETCH_DIR = 'preflight-prefetch';
/** How long `push --async` waits for a running archiver to store the file before pushing it itself. */
export const DEFAULT_ASYNC_WAIT_MS = 3_000;

export function getMarkerPath(spoolDir: string, fileName: string): string {
  return join(spoolDir, ARCHIVED_DIR, fileName);
}

/**
 * Writes the marker of a stored file atomically: its identity (formatFileIdentity) as it was when it was read.
 * `owner` (when we are root) makes it removable by the server user.
 */
export function writeMarker(spoolDir: string, fileName: string, identity: string, owner?: FileOwner): void {
  const path = getMarkerPath(spoolDir, fileName);
  const partial = `${path}.tmp`;
  writeFileSync(partial, `${identity}\n`, { mode: 0o600 });
  if (owner && process.getuid?.() === 0) chownSync(partial, owner.uid, owner.gid);
  renameSync(partial, path);
}

/** True (and the marker removed) when the spool says this very file is stored. */
export function takeArchivedMarker(spoolDir: string, walPath: string): boolean {
  const fileName = walPath.split('/').pop() ?? walPath;
  const path = getMarkerPath(spoolDir, fileName);
  let marker: string;
  try {
    marker = readFileSync(path, 'utf8').trim();
  } catch {
    return false;
  }
  if (!marker || marker !== getFileIdentity(walPath)) return false;
  try {
    unlinkSync(path);
  } catch {
    // another push took it first: the file is stored either way
  }
  return true;
}

/**
 * The start time of a process (clock ticks since boot, field 22 of /proc/<pid>/stat), undefined where /proc is not
 * readable. A pid plus its start time names one process: a pid reused after a crash has another start time.
 */
export function getProcessStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from after its closing one
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(19);
  } catch {
    return undefined;
  }
}

/** The pid file's text for this process: `<pid> <start time>`. */
export function formatPidFile(pid = process.pid): string {
  const started = getProcessStartTime(pid);
  return `${pid}${started ? ` ${started}` : ''}\n`;
}

/** The pid the pid file names, undefined when it is unreadable. */
export function readPidFile(
  spoolDir: string,
  file = PID_FILE,
): { pid: number; startTime?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(spoolDir, file), 'utf8');
  } catch {
    return undefined;
  }
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime };
}

/**
 * The pid in the spool's pid file when that very archiver is alive: the pid exists and, where /proc tells, started
 * when the pid file says (a crashed archiver's pid reused by another process is not "running").
 */
export function getRunningArchiverPid(spoolDir: string): number | undefined {
  return getRunningPid(spoolDir, PID_FILE);
}

/** The pid a pid file of the spool names when that very process is alive (see getRunningArchiverPid). */
export function getRunningPid(spoolDir: string, file: string): number | undefined {
  const recorded = readPidFile(spoolDir, file);
  if (!recorded) return undefined;
  const { pid, startTime } = recorded;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's (the archiver may run as root, the push as postgres)
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  if (startTime === undefined) return pid;
  const actual = getProcessStartTime(pid);
  return actual === undefined || actual === startTime ? pid : undefined;
}

function readOption(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/**
 * The fast path of `wal push <path> --async --spool-dir D`: true when the spool says the file is stored, waiting
 * up to `waitMs` while an archiver runs. False means: do a real push.
 */
export async function answerPushFromSpool(args: string[], waitMs = DEFAULT_ASYNC_WAIT_MS): Promise<boolean> {
  const walPath = args[1];
  const spoolDir = readOption(args, '--spool-dir');
  if (args[0] !== 'push' || !walPath || !args.includes('--async') || !spoolDir) return false;
  if (takeArchivedMarker(spoolDir, walPath)) return true;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && getRunningArchiverPid(spoolDir) !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (takeArchivedMarker(spoolDir, walPath)) return true;
  }
  return false;
}

/** The spool of `wal fetch --async`: --spool-dir, else pg_wal/preflight-prefetch beside the destination. */
export function getPrefetchSpoolDir(args: string[], dest: string): string {
  return resolve(readOption(args, '--spool-dir') ?? join(dirname(resolve(dest)), DEFAULT_PREFETCH_DIR));
}

/** Moves a spooled segment to `dest` (renamed: the same file system by default; copied and renamed otherwise). */
function takeFetched(spoolDir: string, name: string, dest: string): boolean {
  const source = join(spoolDir, FETCHED_DIR, name);
  try {
    renameSync(source, dest);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') return false;
  }
  const partial = `${dest}.preflight-partial`;
  try {
    copyFileSync(source, partial);
    renameSync(partial, dest);
    unlinkSync(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the detached prefetcher (`wal prefetch <name> ...`, same target/config/storage options) unless one runs or
 * enough segments are spooled. `entry` is bin/preflight-wal.js. Never throws: prefetching only saves time.
 */
export function startPrefetcher(args: string[], entry: string): void {
  const [, name, dest] = args;
  if (!name || !dest || !/^[0-9A-F]{24}$/.test(name)) return;
  const spoolDir = getPrefetchSpoolDir(args, dest);
  if (getRunningPid(spoolDir, PREFETCH_PID_FILE) !== undefined) return;
  try {
    const spooled = existsSync(join(spoolDir, FETCHED_DIR))
      ? readdirSync(join(spoolDir, FETCHED_DIR)).filter((n) => !n.endsWith('.partial')).length
      : 0;
    const count = Number(readOption(args, '--prefetch') ?? 8);
    if (spooled > count / 2) return;
    const rest = args.slice(3).filter((a) => a !== '--async');
    const options = rest.some((a) => a === '--spool-dir' || a.startsWith('--spool-dir='))
      ? rest
      : [...rest, '--spool-dir', spoolDir];
    // the data directory is the working directory of restore_command: the prefetcher ends with its recovery
    const child = spawn(process.execPath, [entry, 'prefetch', name, '--pgdata', process.cwd(), ...options], {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no prefetching: every fetch stays the ordinary one
  }
}

/**
 * The fast path of `wal fetch <name> <dest> --async`: true when the segment was in the prefetch spool and is now at
 * `dest` (the prefetcher is started again when the spool runs low). False means: do the ordinary fetch.
 */
export function answerFetchFromSpool(args: string[], entry: string): boolean {
  const [command, name, dest] = args;
  if (command !== 'fetch' || !name || !dest || !args.includes('--async')) return false;
  if (!/^[0-9A-F]{24}$/.test(basename(name))) return false;
  const taken = takeFetched(getPrefetchSpoolDir(args, dest), name, resolve(dest));
  if (taken) startPrefetcher(args, entry);
  return taken;
}
