import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCatalog } from './catalog.js';
import { writeSyntheticHistory } from './fixtures/history.js';
import { makeTempDir, removeTempDirs } from './fixtures/support.js';
import { applyPrune, getIsoWeekKey, planPrune } from './prune.js';
import { createFileStorage } from './storage/file.js';

afterAll(() => {
  removeTempDirs();
});

describe('prune (grandfather-father-son) on a synthetic history of 60 daily backups', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const retention = { daily: 7, weekly: 4, monthly: 6 };

  it('names ISO weeks correctly across a year boundary', () => {
    expect(getIsoWeekKey(new Date('2026-11-24T03:00:00Z'))).toBe('2026-W48');
    expect(getIsoWeekKey(new Date('2027-01-01T03:00:00Z'))).toBe('2026-W53');
    expect(getIsoWeekKey(new Date('2024-12-30T03:00:00Z'))).toBe('2025-W01');
  });

  it('plans without deleting, then applies exactly the plan', async () => {
    const storage = createFileStorage(join(makeTempDir('prune'), 'store'));
    const history = await writeSyntheticHistory(storage, 'prod', now);
    const before = await storage.list('prod/');
    const plan = planPrune(await readCatalog(storage, 'prod'), retention, now);

    // the plan alone deletes nothing
    expect(await storage.list('prod/')).toEqual(before);

    const keptDays = [
      // daily: the 7 newest days (the incomplete backup of today never takes a slot)
      '2026-11-24',
      '2026-11-23',
      '2026-11-22',
      '2026-11-21',
      '2026-11-20',
      '2026-11-19',
      '2026-11-18',
      // weekly: newest of ISO weeks 48, 47, 46, 45
      '2026-11-15',
      '2026-11-08',
      // monthly: newest of November, October, September
      '2026-10-31',
      '2026-09-30',
      // the newest verified backup (40 days back), whatever the policy says
      history.verifiedDay,
    ];
    expect(history.verifiedDay).toBe('2026-10-16');
    const keptIds = new Set(keptDays.map((d) => history.completeByDay.get(d)));
    const decisions = new Map(plan.decisions.map((d) => [d.id, d]));
    for (const [day, id] of history.completeByDay) {
      expect([day, decisions.get(id)?.action]).toEqual([day, keptIds.has(id) ? 'keep' : 'delete']);
    }
    expect(decisions.get(history.completeByDay.get(history.verifiedDay)!)?.reasons).toContain(
      'newest verified backup',
    );
    expect(decisions.get(history.recentIncomplete)).toMatchObject({ action: 'keep', complete: false });
    expect(decisions.get(history.staleIncomplete)).toMatchObject({
      action: 'delete',
      complete: false,
      reasons: ['incomplete and older than a day'],
    });
    expect(plan).toMatchObject({ keep: 13, delete: 49 });

    const deleted = await applyPrune(storage, plan);
    expect(deleted).toHaveLength(49);
    const after = await readCatalog(storage, 'prod');
    expect(
      after
        .filter((e) => e.complete)
        .map((e) => e.id)
        .sort(),
    ).toEqual([...keptIds].sort());
    expect(after.filter((e) => !e.complete).map((e) => e.id)).toEqual([history.recentIncomplete]);

    // a second plan is stable: nothing more to delete
    expect(planPrune(after, retention, now).delete).toBe(0);
  });

  it('keeps the newest verified backup even when retention keeps nothing', async () => {
    const storage = createFileStorage(join(makeTempDir('prune-zero'), 'store'));
    const history = await writeSyntheticHistory(storage, 'prod', now);
    const plan = planPrune(await readCatalog(storage, 'prod'), { daily: 0, weekly: 0, monthly: 0 }, now);
    const kept = plan.decisions.filter((d) => d.action === 'keep').map((d) => d.id);
    expect(kept.sort()).toEqual(
      [history.completeByDay.get(history.verifiedDay), history.recentIncomplete].sort(),
    );
  });
});
