/**
 * Grandfather-father-son retention. `planPrune` is pure: it keeps the newest backup of each of the last N days,
 * M ISO weeks and K months, always the newest verified backup, and incomplete backups younger than a day (they may
 * be in progress); logical and base backups each by the policy. `applyPrune` deletes what the plan says, manifest
 * first so a half-deleted backup is never complete. `getWalKeepFrom` names the WAL the retained base backups need.
 */
import { isPreflightError, PreflightError } from '../src/core/errors.js';
import type { CatalogEntry } from './catalog.js';
import { MANIFEST_OBJECT } from './layout.js';
import type { BackupStorage } from './storage/index.js';

export interface Retention {
  daily: number;
  weekly: number;
  monthly: number;
}

export interface PruneDecision {
  id: string;
  kind: 'logical' | 'base';
  time: string;
  complete: boolean;
  verified: boolean;
  action: 'keep' | 'delete';
  reasons: string[];
  keys: string[];
  size: number;
}

export interface PrunePlan {
  retention: Retention;
  now: string;
  decisions: PruneDecision[];
  keep: number;
  delete: number;
  freedBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function getDayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function getMonthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** ISO 8601 week, e.g. 2026-W48. */
export function getIsoWeekKey(d: Date): string {
  const date = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** Marks the newest backup of each of the first `count` distinct periods. */
function keepNewestPerPeriod(
  entries: CatalogEntry[],
  count: number,
  periodOf: (d: Date) => string,
  label: string,
  reasons: Map<string, string[]>,
): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const period = periodOf(entry.time);
    if (seen.has(period)) continue;
    if (seen.size >= count) break;
    seen.add(period);
    reasons.get(entry.id)?.push(`${label} ${period}`);
  }
}

export function planPrune(entries: CatalogEntry[], retention: Retention, now: Date = new Date()): PrunePlan {
  const sorted = [...entries].sort((a, b) => b.time.getTime() - a.time.getTime() || b.id.localeCompare(a.id));
  const complete = sorted.filter((e) => e.complete);
  const reasons = new Map(sorted.map((e) => [e.id, [] as string[]]));
  // logical and base backups are retained each by the same policy, one kind never taking the other's slot
  for (const kind of ['logical', 'base'] as const) {
    const ofKind = complete.filter((e) => e.kind === kind);
    const label = kind === 'base' ? 'base ' : '';
    keepNewestPerPeriod(ofKind, retention.daily, getDayKey, `${label}daily`, reasons);
    keepNewestPerPeriod(ofKind, retention.weekly, getIsoWeekKey, `${label}weekly`, reasons);
    keepNewestPerPeriod(ofKind, retention.monthly, getMonthKey, `${label}monthly`, reasons);
  }
  const newestVerified = complete.find((e) => e.verification?.ok === true);
  if (newestVerified) reasons.get(newestVerified.id)?.push('newest verified backup');
  for (const entry of sorted) {
    if (entry.complete) continue;
    const ageMs = now.getTime() - entry.time.getTime();
    if (ageMs < DAY_MS) reasons.get(entry.id)?.push('incomplete but younger than a day (may be in progress)');
  }
  const decisions: PruneDecision[] = sorted.map((entry) => {
    const kept = reasons.get(entry.id) ?? [];
    const action = kept.length > 0 ? 'keep' : 'delete';
    const why =
      kept.length > 0
        ? kept
        : [entry.complete ? 'outside the retention policy' : 'incomplete and older than a day'];
    return {
      id: entry.id,
      kind: entry.kind,
      time: entry.time.toISOString(),
      complete: entry.complete,
      verified: entry.verification?.ok === true,
      action,
      reasons: why,
      keys: entry.objects.map((o) => o.key),
      size: entry.size,
    };
  });
  const deleted = decisions.filter((d) => d.action === 'delete');
  return {
    retention,
    now: now.toISOString(),
    decisions,
    keep: decisions.length - deleted.length,
    delete: deleted.length,
    freedBytes: deleted.reduce((sum, d) => sum + d.size, 0),
  };
}

export async function applyPrune(
  storage: BackupStorage,
  plan: PrunePlan,
  log: (message: string) => void = () => undefined,
): Promise<string[]> {
  const deleted: string[] = [];
  const failed: Array<{ id: string; error: unknown }> = [];
  for (const decision of plan.decisions) {
    if (decision.action !== 'delete') continue;
    const manifests = decision.keys.filter((k) => k.endsWith(`/${MANIFEST_OBJECT}`));
    const rest = decision.keys.filter((k) => !k.endsWith(`/${MANIFEST_OBJECT}`));
    try {
      if (manifests.length) await storage.deleteKeys(manifests);
      await storage.deleteKeys(rest);
    } catch (error) {
      // the other backups are still pruned; every refusal is reported at the end
      failed.push({ id: decision.id, error });
      log(`could not delete ${decision.id}: ${(error as Error).message}`);
      continue;
    }
    deleted.push(decision.id);
    log(`deleted ${decision.id} (${decision.reasons.join('; ')})`);
  }
  if (failed.length > 0) {
    const refused = failed.flatMap(({ error }) =>
      isPreflightError(error) && Array.isArray(error.details.refused) ? error.details.refused : [],
    );
    throw new PreflightError(
      'E_STORAGE',
      `Prune deleted ${deleted.length} backup(s) but not ${failed.map((f) => f.id).join(', ')}: ${failed
        .map((f) => (f.error as Error).message)
        .join('; ')}`,
      {
        hint: 'the storage refused the deletes: check the credentials may delete (s3:DeleteObject) and any object lock',
        details: { deleted, failed: failed.map((f) => f.id), refused },
      },
    );
  }
  return deleted;
}

/** Where the WAL each retained base backup needs starts: the archive keeps those segments and everything later. */
export function getWalKeepFrom(
  entries: CatalogEntry[],
  plan: PrunePlan,
): Array<{ timeline: number; segment: string }> {
  const kept = new Set(plan.decisions.filter((d) => d.action === 'keep').map((d) => d.id));
  return entries.flatMap((e) =>
    e.base && kept.has(e.id) ? [{ timeline: e.base.timeline, segment: e.base.startSegment }] : [],
  );
}
