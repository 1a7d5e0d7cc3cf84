/**
 * What a restore can reach, decided before anything is downloaded: the base backup to start from and the range
 * of recovery targets it offers, from the base backup's end (the earliest consistent point) to the last archived
 * WAL segment on its timeline or a later one. A target outside is refused (E_RECOVERY_TARGET) naming the range.
 */
import { PreflightError } from '../../src/core/errors.js';
import type { CatalogEntry } from '../catalog.js';
import type { BaseBackupManifest } from '../manifest.js';
import type { WalEntry } from '../wal/archive.js';
import { getSegmentNumber } from '../wal/names.js';
import { formatLsn, parseLsn } from './lsn.js';

export type RecoveryRequest =
  | { kind: 'time'; time: Date }
  | { kind: 'lsn'; lsn: string }
  | { kind: 'latest' };

export interface RecoveryRange {
  /** The base backup's end: no earlier point can be restored from it. */
  fromTime: string;
  fromLsn: string;
  /** The newest archived segment it can replay up to (contiguous or not), when it was archived and where it ends. */
  toTime: string;
  toLsn: string;
  lastSegment: string;
  /** Segments missing between the base backup's start segment and the last one (recovery stops at the first). */
  missing: string[];
}

export interface RestorePlan {
  base: BaseBackupManifest;
  request: RecoveryRequest;
  range: RecoveryRange;
}

export function describeRequest(request: RecoveryRequest): string {
  if (request.kind === 'time') return `time ${request.time.toISOString()}`;
  if (request.kind === 'lsn') return `LSN ${request.lsn}`;
  return 'the latest archived WAL';
}

/** The segments a base backup can replay: from its start segment on its timeline (later timelines are not followed here). */
function getReplayableSegments(base: BaseBackupManifest, wal: WalEntry[]): WalEntry[] {
  const start = getSegmentNumber(base.startSegment.slice(8), base.walSegmentSize);
  return wal.filter(
    (e) =>
      e.kind === 'segment' &&
      e.timeline === base.timeline &&
      getSegmentNumber(e.fileName.slice(8), base.walSegmentSize) >= start,
  );
}

export function getRecoveryRange(base: BaseBackupManifest, wal: WalEntry[]): RecoveryRange | undefined {
  const segments = getReplayableSegments(base, wal);
  const last = segments.at(-1);
  if (!last) return undefined;
  const size = base.walSegmentSize;
  const numbers = new Set(segments.map((s) => getSegmentNumber(s.fileName.slice(8), size)));
  const first = getSegmentNumber(base.startSegment.slice(8), size);
  const lastNumber = getSegmentNumber(last.fileName.slice(8), size);
  // the archive must reach the base backup's end, or the copy never becomes consistent
  if ((lastNumber + 1n) * BigInt(size) < parseLsn(base.stopLsn)) return undefined;
  const missing: string[] = [];
  for (let n = first; n <= lastNumber && missing.length < 20; n++)
    if (!numbers.has(n)) missing.push(formatSegment(base.timeline, n, size));
  return {
    fromTime: base.finishedAt,
    fromLsn: base.stopLsn,
    toTime: last.lastModified.toISOString(),
    // the end of the last archived segment: the replay cannot go past it
    toLsn: formatLsn((lastNumber + 1n) * BigInt(size)),
    lastSegment: last.fileName,
    missing,
  };
}

function formatSegment(timeline: number, n: bigint, size: number): string {
  const perId = 0x1_0000_0000n / BigInt(size);
  const hex = (v: bigint | number) => v.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(n / perId)}${hex(n % perId)}`;
}

function describeRanges(bases: BaseBackupManifest[], wal: WalEntry[]): string {
  const parts = bases
    .map((b) => ({ b, r: getRecoveryRange(b, wal) }))
    .map(({ b, r }) =>
      r
        ? `base ${b.id}: ${r.fromTime} .. ${r.toTime} (LSN ${r.fromLsn} .. ${r.toLsn})`
        : `base ${b.id}: none (the archive does not hold its WAL from ${b.startSegment} to its end ${b.stopLsn})`,
    );
  return parts.length ? parts.join('; ') : 'none (no complete base backup)';
}

function fits(request: RecoveryRequest, range: RecoveryRange): boolean {
  if (request.kind === 'latest') return true;
  if (request.kind === 'time')
    return (
      request.time.getTime() >= Date.parse(range.fromTime) &&
      request.time.getTime() <= Date.parse(range.toTime)
    );
  const lsn = parseLsn(request.lsn);
  return lsn >= parseLsn(range.fromLsn) && lsn <= parseLsn(range.toLsn);
}

/**
 * Picks the newest base backup whose range holds the target (or `baseId`), or refuses with E_RECOVERY_TARGET
 * naming every possible range. Pure: the caller lists the catalog and the archive.
 */
export function planRestore(o: {
  target: string;
  catalog: CatalogEntry[];
  wal: WalEntry[];
  request: RecoveryRequest;
  baseId?: string;
  now?: Date;
}): RestorePlan {
  const bases = o.catalog
    .map((e) => e.base)
    .filter((b): b is BaseBackupManifest => b !== undefined)
    .sort((a, b) => b.id.localeCompare(a.id));
  const candidates = o.baseId ? bases.filter((b) => b.id === o.baseId) : bases;
  if (o.baseId && candidates.length === 0)
    throw new PreflightError('E_BACKUP', `No complete base backup "${o.baseId}" for target "${o.target}"`, {
      hint: 'see `preflight backup list` (kind base), or take one with `preflight backup base`',
    });
  if (bases.length === 0)
    throw new PreflightError('E_BACKUP', `No complete base backup for target "${o.target}"`, {
      hint: 'take one with `preflight backup base` (WAL archiving must be on)',
    });
  const now = o.now ?? new Date();
  if (o.request.kind === 'time' && o.request.time.getTime() > now.getTime())
    throw new PreflightError(
      'E_RECOVERY_TARGET',
      `The target time ${o.request.time.toISOString()} is in the future; nothing was restored. Possible: ${describeRanges(candidates, o.wal)}`,
      { hint: 'pick a time inside one of those ranges (UTC, e.g. 2026-11-30T03:15:00Z)' },
    );
  for (const base of candidates) {
    const range = getRecoveryRange(base, o.wal);
    if (range && fits(o.request, range)) return { base, request: o.request, range };
  }
  throw new PreflightError(
    'E_RECOVERY_TARGET',
    `No base backup can reach ${describeRequest(o.request)}; nothing was restored. Possible: ${describeRanges(candidates, o.wal)}`,
    {
      hint:
        o.request.kind === 'latest'
          ? 'the archive holds no WAL from the base backup on: check archive_command (`preflight wal list`)'
          : "a target before a base backup's end or after the last archived WAL cannot be reached: pick one inside a range",
    },
  );
}
