/**
 * Asynchronous WAL fetch for recovery, in the way of pgBackRest's archive-get --async: `wal fetch %f %p --async`
 * starts (once) a detached `wal prefetch` process that downloads, decrypts and checks the next `count` segments
 * ahead into a spool (default `pg_wal/preflight-prefetch/` of the recovering cluster: the server user's, on the
 * same file system as %p). The next `wal fetch --async` for a spooled segment only renames it into place, in
 * bin/preflight-wal.js without loading the CLI (spool.ts: answerFetchFromSpool).
 *
 * Only segments whose checksum matched go into the spool. A segment missing from the archive, damaged, or not
 * decryptable is never spooled: its `wal fetch` runs the ordinary fetch and ends exactly as without --async (exit 1
 * for a missing segment, E_WAL_INTEGRITY / E_DECRYPT named). The prefetcher ends, removing what it spooled, when
 * recovery ended (no recovery.signal / standby.signal in the data directory) or when nobody took a segment for
 * `idleMs`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { redact } from '../../src/core/redact.js';
import type { BackupStorage } from '../storage/index.js';
import { formatSegmentName, getSegmentNumber, parseWalFileName } from './names.js';
import { FETCHED_DIR, formatPidFile, getRunningPid, PREFETCH_PID_FILE, readPidFile } from './spool.js';
import { decodeWalObject, getWalObjectKey } from './store.js';

export interface PrefetchOptions {
  storage: BackupStorage;
  target: string;
  identities: string[];
  spoolDir: string;
  /** The segment PostgreSQL asked for: prefetching starts after it. */
  after: string;
  /** Segments kept ready ahead (default 8, 128 MiB of 16 MiB segments). */
  count?: number;
  /** Downloads at once (default 2). */
  concurrency?: number;
  /** The recovering cluster's data directory: the prefetcher ends once recovery ended there. */
  dataDir: string;
  idleMs?: number;
  log?: (message: string) => void;
}

export interface PrefetchSummary {
  started: boolean;
  fetched: number;
  /** Why it stopped: 'recovery-ended', 'idle', or the first segment it could not spool and why. */
  stopped: string;
}

export const DEFAULT_PREFETCH_COUNT = 8;
/** Written in the spool when prefetching stopped ahead: the first segment it did not spool, and why. */
export const PREFETCH_STOPPED_FILE = 'prefetch.stopped';

function inRecovery(dataDir: string): boolean {
  return existsSync(join(dataDir, 'recovery.signal')) || existsSync(join(dataDir, 'standby.signal'));
}

/** Runs until recovery ends or the spool sits untouched for idleMs; one prefetcher per spool. */
export async function runPrefetch(o: PrefetchOptions): Promise<PrefetchSummary> {
  const log = o.log ?? (() => undefined);
  const first = parseWalFileName(o.after);
  if (first?.kind !== 'segment' || !first.position)
    return { started: false, fetched: 0, stopped: `${o.after} is not a segment` };
  const fetchedDir = join(o.spoolDir, FETCHED_DIR);
  await mkdir(fetchedDir, { recursive: true, mode: 0o700 });
  const pidFile = join(o.spoolDir, PREFETCH_PID_FILE);
  if (getRunningPid(o.spoolDir, PREFETCH_PID_FILE) !== undefined)
    return { started: false, fetched: 0, stopped: 'another prefetcher runs' };
  await writeFile(pidFile, formatPidFile());
  const count = Math.max(1, o.count ?? DEFAULT_PREFETCH_COUNT);
  const concurrency = Math.max(1, o.concurrency ?? 2);
  const idleMs = o.idleMs ?? 30_000;
  const timeline = first.timeline;
  let next = getSegmentNumber(first.position) + 1n;
  let end: string | undefined;
  let fetched = 0;
  let stopped = 'idle';
  const inFlight = new Set<Promise<void>>();
  let lastNames = '';
  let lastChange = Date.now();

  const stopAhead = async (reason: string) => {
    if (end !== undefined) return;
    end = reason;
    await writeFile(join(o.spoolDir, PREFETCH_STOPPED_FILE), `${reason}\n`).catch(() => undefined);
  };
  const fetchOne = async (name: string) => {
    const key = getWalObjectKey(o.target, name);
    try {
      if (!(await o.storage.exists(key))) {
        await stopAhead(`${name} is not archived (yet)`);
        return;
      }
      const plain = await decodeWalObject(await o.storage.getBytes(key), o.identities, name);
      const partial = join(fetchedDir, `${name}.partial`);
      await writeFile(partial, plain);
      await rename(partial, join(fetchedDir, name));
      fetched++;
    } catch (error) {
      // never spooled: the ordinary fetch of this segment reports it
      await stopAhead(`${name}: ${redact(error instanceof Error ? error.message : String(error))}`);
    }
  };

  try {
    for (;;) {
      if (!inRecovery(o.dataDir)) {
        stopped = 'recovery-ended';
        break;
      }
      const names = (await readdir(fetchedDir).catch(() => [] as string[])).filter(
        (n) => !n.endsWith('.partial'),
      );
      const key = names.join(',');
      if (key !== lastNames) {
        lastNames = key;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > idleMs && inFlight.size === 0) break;
      while (end === undefined && inFlight.size < concurrency && names.length + inFlight.size < count) {
        const name = formatSegmentName(timeline, next);
        next++;
        if (names.includes(name)) continue;
        const work = fetchOne(name).finally(() => inFlight.delete(work));
        inFlight.add(work);
        names.push(name);
      }
      await sleep(inFlight.size > 0 ? 20 : 100);
    }
    if (end) log(`prefetch: stopped ahead at ${end}`);
    return { started: true, fetched, stopped: end && stopped === 'idle' ? end : stopped };
  } finally {
    await Promise.allSettled(inFlight);
    await rm(fetchedDir, { recursive: true, force: true }).catch(() => undefined);
    await rm(join(o.spoolDir, PREFETCH_STOPPED_FILE), { force: true });
    if (readPidFile(o.spoolDir, PREFETCH_PID_FILE)?.pid === process.pid) await rm(pidFile, { force: true });
    await rmdir(o.spoolDir).catch(() => undefined);
  }
}
