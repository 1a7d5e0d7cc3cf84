/**
 * `wal verify`: every archived file is downloaded, decrypted and checked against its sha256, and each timeline's
 * segments must form an unbroken sequence from its first to its last. Any gap or mismatch makes ok false
 * (the command exits 1). A wrong key is not a mismatch: when no object at all opens with the identities it throws
 * E_DECRYPT. One object that does not open while others do is damaged (or encrypted to a retired key): a mismatch.
 */
import { PreflightError } from '../../src/core/errors.js';
import type { BackupStorage } from '../storage/index.js';
import { DEFAULT_SEGMENT_SIZE, formatSegmentName, getSegmentNumber } from './names.js';
import { decodeWalObject, listWalArchive, parseWalObjectHeader, type WalEntry } from './store.js';

export interface WalTimelineSummary {
  timeline: number;
  first?: string;
  last?: string;
  segments: number;
  history: boolean;
}

export interface WalGap {
  timeline: number;
  /** The last segment present before the gap. */
  after: string;
  missing: string[];
}

export interface WalVerifyResult {
  timelines: WalTimelineSummary[];
  gaps: WalGap[];
  /** File names whose object is damaged or fails its checksum. */
  mismatches: string[];
  checked: number;
  segmentSize: number;
  /** Nothing is archived for the target: no evidence, so not ok (archiving not set up, or the wrong target or storage). */
  empty: boolean;
  ok: boolean;
}

const CONCURRENCY = 4;
const MAX_LISTED_MISSING = 1000;

export async function verifyWalArchive(o: {
  storage: BackupStorage;
  target: string;
  identities: string[];
  onProgress?: (checked: number, total: number) => void;
}): Promise<WalVerifyResult> {
  const entries = await listWalArchive(o);
  const mismatches = new Set<string>();
  let keyFailure: PreflightError | undefined;
  let keyFailures = 0;
  let segmentSize: number | undefined;
  let next = 0;
  let checked = 0;
  const worker = async () => {
    while (next < entries.length) {
      const entry = entries[next++] as WalEntry;
      const body = await o.storage.getBytes(entry.key);
      try {
        const plain = await decodeWalObject(body, o.identities, entry.fileName);
        if (entry.kind === 'segment') segmentSize ??= plain.length;
      } catch (error) {
        if (!(error instanceof PreflightError)) throw error;
        if (error.code === 'E_DECRYPT' && error.details.keyProblem) {
          keyFailure ??= error;
          keyFailures++;
        } else if (error.code !== 'E_WAL_INTEGRITY') throw error;
        mismatches.add(entry.fileName);
        const header = parseWalObjectHeader(body);
        if (entry.kind === 'segment' && header) segmentSize ??= header.header.size;
      }
      checked++;
      o.onProgress?.(checked, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
  if (keyFailure && keyFailures === entries.length) throw keyFailure;
  const size = segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const { timelines, gaps } = findGaps(entries, size);
  const sortedMismatches = [...mismatches].sort();
  return {
    timelines,
    gaps,
    mismatches: sortedMismatches,
    checked,
    segmentSize: size,
    empty: entries.length === 0,
    ok: entries.length > 0 && gaps.length === 0 && sortedMismatches.length === 0,
  };
}

/** Per timeline: its range of segments and the holes in it (no download needed). */
export function findGaps(
  entries: WalEntry[],
  segmentSize = DEFAULT_SEGMENT_SIZE,
): { timelines: WalTimelineSummary[]; gaps: WalGap[] } {
  const timelines: WalTimelineSummary[] = [];
  const gaps: WalGap[] = [];
  for (const timeline of [...new Set(entries.map((e) => e.timeline))].sort((a, b) => a - b)) {
    const mine = entries.filter((e) => e.timeline === timeline);
    const segments = mine
      .filter((e) => e.kind === 'segment')
      .map((e) => ({ name: e.fileName, number: getSegmentNumber(e.fileName.slice(8, 24), segmentSize) }))
      .sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
    timelines.push({
      timeline,
      first: segments[0]?.name,
      last: segments.at(-1)?.name,
      segments: segments.length,
      history: mine.some((e) => e.kind === 'history'),
    });
    for (let i = 1; i < segments.length; i++) {
      const before = segments[i - 1] as (typeof segments)[number];
      const current = segments[i] as (typeof segments)[number];
      if (current.number - before.number <= 1n) continue;
      const missing: string[] = [];
      for (let n = before.number + 1n; n < current.number && missing.length < MAX_LISTED_MISSING; n++)
        missing.push(formatSegmentName(timeline, n, segmentSize));
      gaps.push({ timeline, after: before.name, missing });
    }
  }
  return { timelines, gaps };
}
