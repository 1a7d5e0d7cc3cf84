/**
 * WAL retention, plan then apply: a segment (or .partial, .backup label) stays when a retained base backup needs
 * it, that is when it is on that backup's timeline from its start segment on, or on a later timeline. Everything
 * older goes. History files always stay (a few bytes each, and recovery follows timelines through them).
 * With no retained base backup nothing is pruned: the archive would be useless without one, but deleting it
 * all is never what a retention run should do.
 */
import type { BackupStorage } from '../storage/index.js';
import { formatTimeline } from './names.js';
import { listWalArchive, type WalEntry } from './store.js';

export interface WalKeepFrom {
  timeline: number;
  /** The base backup's start segment (24 hex digits; the 16 after the timeline are compared). */
  segment: string;
}

export interface WalPruneItem {
  entry: WalEntry;
  reason: string;
}

export interface WalPrunePlan {
  target: string;
  keep: WalPruneItem[];
  remove: WalPruneItem[];
  /** Set when nothing is pruned on principle (no retained base backup). */
  note?: string;
}

const positionOf = (segmentOrPosition: string) => segmentOrPosition.slice(-16).toUpperCase();

function whyKeep(entry: WalEntry, keepFrom: WalKeepFrom[]): string | undefined {
  if (entry.kind === 'history') return 'timeline history (always kept)';
  const position = entry.fileName.slice(8, 24);
  for (const k of keepFrom) {
    const start = `${formatTimeline(k.timeline)}${positionOf(k.segment)}`;
    if (entry.timeline === k.timeline && position >= positionOf(k.segment))
      return `needed by the base backup starting at ${start}`;
    if (entry.timeline > k.timeline)
      return `on timeline ${entry.timeline}, after the base backup starting at ${start}`;
  }
  return undefined;
}

export async function planWalPrune(o: {
  storage: BackupStorage;
  target: string;
  keepFrom: WalKeepFrom[];
}): Promise<WalPrunePlan> {
  const entries = await listWalArchive(o);
  if (o.keepFrom.length === 0)
    return {
      target: o.target,
      keep: entries.map((entry) => ({ entry, reason: 'no retained base backup: nothing is pruned' })),
      remove: [],
      note: 'no retained base backup: nothing is pruned',
    };
  const plan: WalPrunePlan = { target: o.target, keep: [], remove: [] };
  const oldest = [...o.keepFrom].sort(
    (a, b) => a.timeline - b.timeline || positionOf(a.segment).localeCompare(positionOf(b.segment)),
  )[0] as WalKeepFrom;
  for (const entry of entries) {
    const reason = whyKeep(entry, o.keepFrom);
    if (reason) plan.keep.push({ entry, reason });
    else
      plan.remove.push({
        entry,
        reason: `older than every retained base backup (the oldest starts at ${formatTimeline(oldest.timeline)}${positionOf(oldest.segment)})`,
      });
  }
  return plan;
}

/** Deletes what the plan removes, in batches; returns how many objects went. */
export async function applyWalPrune(
  storage: BackupStorage,
  plan: WalPrunePlan,
): Promise<{ deleted: number }> {
  const keys = plan.remove.map((item) => item.entry.key);
  for (let i = 0; i < keys.length; i += 500) await storage.deleteKeys(keys.slice(i, i + 500));
  return { deleted: keys.length };
}
