/** The recovery range and the choice of base backup, on synthetic catalogs and archives (pure, no server). */
import { describe, expect, it } from 'vitest';
import { isPreflightError } from '../../src/core/errors.js';
import type { CatalogEntry } from '../catalog.js';
import type { BaseBackupManifest } from '../manifest.js';
import type { WalEntry } from '../wal/archive.js';
import { getRecoveryRange, planRestore } from './range.js';

function makeBase(id: string, startSegment: string, stopLsn: string, finishedAt: string): CatalogEntry {
  const base = {
    manifestVersion: 1,
    kind: 'base',
    id,
    timeline: 1,
    startSegment,
    startLsn: stopLsn,
    stopLsn,
    walSegmentSize: 16 * 1024 * 1024,
    finishedAt,
  } as BaseBackupManifest;
  return {
    id,
    kind: 'base',
    time: new Date(finishedAt),
    complete: true,
    manifest: undefined,
    base,
    verification: undefined,
    objects: [],
    size: 0,
  };
}

function makeWal(n: number, at: string): WalEntry {
  const fileName = `00000001000000000000000${n.toString(16).toUpperCase()}`;
  return {
    timeline: 1,
    fileName,
    kind: 'segment',
    key: `t/wal/00000001/${fileName}.age`,
    size: 1,
    lastModified: new Date(at),
  };
}

const catalog = [
  makeBase('20261130T010000Z-aaaaaa', '000000010000000000000002', '0/2000100', '2026-11-30T01:00:10Z'),
  makeBase('20261130T020000Z-bbbbbb', '000000010000000000000005', '0/5000100', '2026-11-30T02:00:10Z'),
];
const wal = [2, 3, 4, 5, 6].map((n) => makeWal(n, `2026-11-30T0${n - 1}:30:00Z`));
const now = new Date('2026-11-30T12:00:00Z');

describe('recovery range', () => {
  it('runs from the base backup end to the last archived segment, listing gaps', () => {
    const range = getRecoveryRange(
      catalog[0]!.base!,
      wal.filter((w) => w.fileName !== '000000010000000000000004'),
    );
    expect(range).toMatchObject({
      fromTime: '2026-11-30T01:00:10Z',
      fromLsn: '0/2000100',
      toTime: '2026-11-30T05:30:00.000Z',
      toLsn: '0/7000000',
      lastSegment: '000000010000000000000006',
      missing: ['000000010000000000000004'],
    });
  });

  it('picks the newest base backup that reaches the target', () => {
    const plan = (request: Parameters<typeof planRestore>[0]['request']) =>
      planRestore({ target: 't', catalog, wal, request, now }).base.id;
    expect(plan({ kind: 'time', time: new Date('2026-11-30T01:30:00Z') })).toBe('20261130T010000Z-aaaaaa');
    expect(plan({ kind: 'time', time: new Date('2026-11-30T03:00:00Z') })).toBe('20261130T020000Z-bbbbbb');
    expect(plan({ kind: 'lsn', lsn: '0/3000000' })).toBe('20261130T010000Z-aaaaaa');
    expect(plan({ kind: 'latest' })).toBe('20261130T020000Z-bbbbbb');
  });

  it('refuses a time before every base backup end, after the archive, or in the future, naming the ranges', () => {
    for (const time of ['2026-11-30T00:30:00Z', '2026-11-30T07:00:00Z', '2026-12-01T00:00:00Z']) {
      let error: unknown;
      try {
        planRestore({ target: 't', catalog, wal, request: { kind: 'time', time: new Date(time) }, now });
      } catch (e) {
        error = e;
      }
      expect(isPreflightError(error) && error.code).toBe('E_RECOVERY_TARGET');
      expect((error as Error).message).toContain(
        'base 20261130T010000Z-aaaaaa: 2026-11-30T01:00:10Z .. 2026-11-30T05:30:00.000Z',
      );
    }
  });

  it('refuses a base backup whose WAL was never archived up to its end', () => {
    expect(getRecoveryRange(catalog[1]!.base!, wal.slice(0, 2))).toBeUndefined();
  });
});
