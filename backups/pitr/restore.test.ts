/**
 * Point-in-time recovery against a real PostgreSQL archiving through `preflight wal push` into file storage:
 * markers 1 (before the base backup), 2, [target time], 3, 4 (each later segment archived). A restore to the
 * target time holds exactly 1 and 2, --latest all four; out-of-range targets and a wrong key are refused before
 * anything is restored; a corrupted or a missing segment ends the restore short, naming the segment.
 * Uses bin/preflight-wal.js, which loads dist/: run `npm run build` first.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateIdentity } from 'age-encryption';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPreflightError } from '../../src/core/errors.js';
import { repoRoot } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { readCatalog } from '../catalog.js';
import { makeConfig } from '../fixtures/support.js';
import type { BaseBackupManifest } from '../manifest.js';
import { getWalKeepFrom, planPrune } from '../prune.js';
import { applyWalPrune, getWalObjectKey, listWalArchive, planWalPrune } from '../wal/archive.js';
import { formatSegmentName, getSegmentNumber } from '../wal/names.js';
import { takeBaseBackup } from './base.js';
import { waitUntilArchived } from './drill.js';
import type { RecoveryRequest } from './range.js';
import { type RestoreReport, restoreToPoint } from './restore.js';
import { createScratchSource, type ScratchSource } from './scratch.js';

describe('preflight restore to a point (real PostgreSQL, file storage)', () => {
  let source: ScratchSource;
  let client: pg.Client;
  let base: BaseBackupManifest;
  let targetTime: Date;
  let lsnAfterTwo: string;
  let afterBase: string;
  let workRoot: string;
  const markerTimes: Date[] = [];

  async function insert(n: number): Promise<void> {
    const { rows } = await client.query<{ at: Date }>('INSERT INTO marker (n) VALUES ($1) RETURNING at', [n]);
    markerTimes.push(rows[0]?.at as Date);
  }

  async function switchAndWait(): Promise<void> {
    const { rows } = await client.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
    await waitUntilArchived(client, rows[0]?.wal ?? '', 60_000);
  }

  async function restore(request: RecoveryRequest, identity = source.identity) {
    const into = join(workRoot, `restored-${Math.random().toString(16).slice(2, 8)}`);
    let found: number[] = [];
    const report = await restoreToPoint({
      target: source.target,
      storage: source.storage,
      storageUrl: source.storageUrl,
      configPath: source.configPath,
      identity,
      identityEnv: 'PREFLIGHT_AGE_IDENTITY',
      request,
      intoDir: into,
      inspect: async (port) => {
        const url = new URL(source.cluster.url());
        url.port = String(port);
        const restored = new pg.Client({ connectionString: url.toString() });
        await restored.connect();
        try {
          found = (await restored.query<{ n: number }>('SELECT n FROM marker ORDER BY n')).rows.map(
            (r) => r.n,
          );
        } finally {
          await restored.end();
        }
      },
    });
    return { report, found, into };
  }

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist', 'backups', 'wal', 'cli.js')))
      throw new Error(
        'dist/ is missing: run `npm run build` first (archive_command runs bin/preflight-wal.js)',
      );
    workRoot = makeTempDir('pitr-restore');
    chmodSync(workRoot, 0o755); // the server user reaches the scratch directories below
    source = await createScratchSource({ backups: makeConfig({ recipients: [] }).backups, workRoot });
    client = new pg.Client({ connectionString: source.cluster.url() });
    await client.connect();
    await client.query(
      'CREATE TABLE marker (n int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    await insert(1);
    await switchAndWait();
    ({ manifest: base } = await takeBaseBackup({
      target: source.target,
      adminUrl: source.cluster.url(),
      storage: source.storage,
      recipients: [source.recipient],
      compressLevel: 1,
    }));
    afterBase = formatSegmentName(base.timeline, getSegmentNumber(base.startSegment.slice(8)) + 1n);
    await insert(2);
    lsnAfterTwo =
      (await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]?.lsn ??
      '';
    const a = (await client.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]?.t as Date;
    await sleep(1000);
    const b = (await client.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]?.t as Date;
    targetTime = new Date((a.getTime() + b.getTime()) / 2);
    await insert(3);
    await switchAndWait();
    await insert(4);
    await switchAndWait();
  }, 240_000);

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await source?.remove();
  });

  it('restores to a time between two markers: exactly the earlier ones, and reports the point reached', async () => {
    const { report, found } = await restore({ kind: 'time', time: targetTime });
    expect(report.failure).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(found).toEqual([1, 2]);
    expect(report.base.id).toBe(base.id);
    expect(report.achieved.stopping).toMatch(/recovery stopping before commit/);
    expect(Date.parse(report.achieved.lastTransactionTime ?? '')).toBeLessThanOrEqual(targetTime.getTime());
    expect(Date.parse(report.achieved.lastTransactionTime ?? '')).toBeGreaterThanOrEqual(
      markerTimes[1]!.getTime(),
    );
    expect(report.segmentsReplayed).toBeGreaterThanOrEqual(2);
    expect(report.rto.totalMs).toBeGreaterThan(0);
  }, 180_000);

  it('--to-lsn restores up to that WAL location: the markers committed before it', async () => {
    const { report, found } = await restore({ kind: 'lsn', lsn: lsnAfterTwo });
    expect(report.failure).toBeUndefined();
    expect(found).toEqual([1, 2]);
    expect(report.requested).toBe(`LSN ${lsnAfterTwo}`);
  }, 180_000);

  it('--latest restores every marker archived', async () => {
    const { report, found } = await restore({ kind: 'latest' });
    expect(report.ok).toBe(true);
    expect(found).toEqual([1, 2, 3, 4]);
    expect(report.lastSegmentReplayed).toBe(report.range.lastSegment);
  }, 180_000);

  it('refuses a time in the future and one before the base backup ended, naming the range, restoring nothing', async () => {
    for (const time of [new Date(Date.now() + 3_600_000), markerTimes[0]!]) {
      const into = join(workRoot, 'never');
      const error = await restoreToPoint({
        target: source.target,
        storage: source.storage,
        storageUrl: source.storageUrl,
        identity: source.identity,
        identityEnv: 'PREFLIGHT_AGE_IDENTITY',
        request: { kind: 'time', time },
        intoDir: into,
      }).catch((e: unknown) => e);
      expect(isPreflightError(error) && error.code).toBe('E_RECOVERY_TARGET');
      expect((error as Error).message).toContain(`base ${base.id}: ${base.finishedAt} .. `);
      expect(existsSync(into)).toBe(false);
    }
  });

  it('refuses a config the server user cannot read (restore_command would fail mid-recovery), restoring nothing', async () => {
    if (process.getuid?.() !== 0) return; // only root hands the server to another user
    const hidden = makeTempDir('pitr-hidden'); // 0700, root's
    writeFileSync(join(hidden, 'preflight.yaml'), readFileSync(source.configPath));
    const into = join(workRoot, 'never-read');
    const error = await restoreToPoint({
      target: source.target,
      storage: source.storage,
      storageUrl: source.storageUrl,
      configPath: join(hidden, 'preflight.yaml'),
      identity: source.identity,
      identityEnv: 'PREFLIGHT_AGE_IDENTITY',
      request: { kind: 'latest' },
      intoDir: into,
    }).catch((e: unknown) => e);
    expect(isPreflightError(error) && error.code).toBe('E_CONFIG');
    expect((error as Error).message).toContain(join(hidden, 'preflight.yaml'));
    expect(existsSync(into)).toBe(false);
  });

  it('refuses a wrong key before anything is restored', async () => {
    const into = join(workRoot, 'never-key');
    const error = await restoreToPoint({
      target: source.target,
      storage: source.storage,
      storageUrl: source.storageUrl,
      identity: await generateIdentity(),
      identityEnv: 'PREFLIGHT_AGE_IDENTITY',
      request: { kind: 'latest' },
      intoDir: into,
    }).catch((e: unknown) => e);
    expect(isPreflightError(error) && error.code).toBe('E_DECRYPT');
    expect((error as Error).message).toContain(source.recipient);
    expect(existsSync(into)).toBe(false);
  });

  it('the catalog lists the base backup; prune keeps it and the WAL from its start segment, deletes the older WAL', async () => {
    const catalog = await readCatalog(source.storage, source.target);
    expect(catalog.map((e) => [e.kind, e.id, e.complete])).toEqual([['base', base.id, true]]);
    const plan = planPrune(catalog, { daily: 1, weekly: 0, monthly: 0 });
    expect(plan.decisions.map((d) => [d.id, d.kind, d.action])).toEqual([[base.id, 'base', 'keep']]);
    const walPlan = await planWalPrune({
      storage: source.storage,
      target: source.target,
      keepFrom: getWalKeepFrom(catalog, plan),
    });
    const older = formatSegmentName(base.timeline, getSegmentNumber(base.startSegment.slice(8)) - 1n);
    expect(walPlan.remove.map((i) => i.entry.fileName)).toEqual([older]);
    await applyWalPrune(source.storage, walPlan);
    const left = (await listWalArchive({ storage: source.storage, target: source.target })).map(
      (e) => e.fileName,
    );
    expect(left).not.toContain(older);
    expect(left).toEqual(expect.arrayContaining([base.startSegment, afterBase]));
  });

  describe('faults in the archive', () => {
    let key: string;
    let original: Buffer;
    const path = () => join(new URL(source.storageUrl).pathname, key);

    beforeAll(() => {
      key = getWalObjectKey(source.target, afterBase);
      original = readFileSync(path());
    });
    afterAll(() => {
      writeFileSync(path(), original);
    });

    it('a corrupted segment stops recovery and the report names it (E_WAL_INTEGRITY)', async () => {
      const damaged = Buffer.from(original);
      damaged[damaged.length - 100] = (damaged[damaged.length - 100] ?? 0) ^ 0xff;
      writeFileSync(path(), damaged);
      const { report, found } = await restore({ kind: 'time', time: targetTime });
      expect(report.ok).toBe(false);
      expect(found).toEqual([]);
      expect(report.failure?.code).toBe('E_WAL_INTEGRITY');
      expect(report.failure?.segment).toBe(afterBase);
      expect(report.failure?.message).toContain(afterBase);
      expect(report.running).toBe(false);
    }, 180_000);

    it('a missing segment stops recovery at the gap, naming it and the point reached, also with --latest', async () => {
      rmSync(path());
      for (const request of [{ kind: 'time', time: targetTime }, { kind: 'latest' }] as RecoveryRequest[]) {
        const { report }: { report: RestoreReport } = await restore(request);
        expect(report.ok).toBe(false);
        expect(report.failure?.code).toBe('E_RESTORE');
        expect(report.failure?.message).toContain(`WAL segment ${afterBase} is missing from the archive`);
        expect(report.lastSegmentReplayed).toBe(base.startSegment);
        expect(report.range.missing).toEqual([afterBase]);
      }
    }, 300_000);
  });
});
