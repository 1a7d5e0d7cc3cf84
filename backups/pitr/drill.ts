/**
 * The PITR drill: marker rows at known times around a base backup, a restore to a time between two of them into a
 * throwaway directory, and a check that exactly the markers committed before that time came back. It reports the
 * RPO (the age of the last archived segment, from pg_stat_archiver) and the RTO of the restore by phase.
 * Runs against any server whose archive_command pushes to the same storage (a configured self-managed target),
 * or against a scratch cluster made for it (scratch.ts).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PreflightError } from '../../src/core/errors.js';
import { quoteIdent } from '../figures.js';
import { connectAdmin } from '../snapshot.js';
import type { BackupStorage } from '../storage/index.js';
import { takeBaseBackup } from './base.js';
import { type RestoreReport, restoreToPoint, stopServer } from './restore.js';

export interface DrillOptions {
  target: string;
  adminUrl: string;
  storage: BackupStorage;
  storageUrl: string;
  configPath?: string;
  recipients: string[];
  identity: string;
  identityEnv: string;
  compressLevel: number;
  /** The restored copy goes in a new directory here, removed at the end. */
  workDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
  /** How long to wait for the switched segment to be archived (default 120 s). */
  archiveWaitMs?: number;
}

export interface DrillMarker {
  n: number;
  label: string;
  at: string;
}

export interface DrillReport {
  ok: boolean;
  target: string;
  baseId: string;
  markers: DrillMarker[];
  targetTime: string;
  expected: number[];
  found: number[];
  rpo: { lastArchivedWal: string | null; ageSeconds: number | null; failedCount: number };
  restore: RestoreReport;
  problem?: string;
}

interface Archiver {
  lastArchivedWal: string | null;
  ageSeconds: number | null;
  failedCount: number;
  lastFailedWal: string | null;
}

async function readArchiver(client: Awaited<ReturnType<typeof connectAdmin>>): Promise<Archiver> {
  const { rows } = await client.query<{
    last_archived_wal: string | null;
    age: string | null;
    failed_count: string;
    last_failed_wal: string | null;
  }>(
    `SELECT last_archived_wal, extract(epoch FROM now() - last_archived_time)::float8 AS age,
            failed_count, last_failed_wal FROM pg_stat_archiver`,
  );
  const row = rows[0];
  return {
    lastArchivedWal: row?.last_archived_wal ?? null,
    ageSeconds: row?.age === null || row?.age === undefined ? null : Number(row.age),
    failedCount: Number(row?.failed_count ?? 0),
    lastFailedWal: row?.last_failed_wal ?? null,
  };
}

/** Waits until pg_stat_archiver reports `wanted` (or a later segment) archived; E_WAL naming the failures otherwise. */
export async function waitUntilArchived(
  client: Awaited<ReturnType<typeof connectAdmin>>,
  wanted: string,
  waitMs: number,
): Promise<Archiver> {
  const deadline = Date.now() + waitMs;
  let archiver = await readArchiver(client);
  while ((archiver.lastArchivedWal ?? '') < wanted) {
    if (Date.now() > deadline)
      throw new PreflightError(
        'E_WAL',
        `WAL segment ${wanted} was not archived within ${Math.round(waitMs / 1000)} s (last archived ${archiver.lastArchivedWal ?? 'none'}, ${archiver.failedCount} failures, last failed ${archiver.lastFailedWal ?? 'none'})`,
        { hint: 'check archive_command (the server log says why it fails) and `preflight wal list`' },
      );
    await sleep(250);
    archiver = await readArchiver(client);
  }
  return archiver;
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const log = o.log ?? (() => undefined);
  const table = `preflight_pitr_drill_${randomBytes(4).toString('hex')}`;
  const client = await connectAdmin(o.adminUrl, 'preflight-drill');
  const restoredDir = join(o.workDir, `restored-${randomBytes(3).toString('hex')}`);
  const waitMs = o.archiveWaitMs ?? 120_000;
  try {
    const insert = async (n: number, label: string): Promise<DrillMarker> => {
      const { rows } = await client.query<{ at: Date }>(
        `INSERT INTO ${quoteIdent(table)} (n, label) VALUES ($1, $2) RETURNING at`,
        [n, label],
      );
      return { n, label, at: (rows[0] as { at: Date }).at.toISOString() };
    };
    const clock = async () =>
      (await client.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]?.now as Date;
    await client.query(
      `CREATE TABLE ${quoteIdent(table)} (n int PRIMARY KEY, label text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    const markers = [await insert(1, 'before the base backup')];
    const first = await client.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
    // archiving must work before the base backup, which would otherwise wait for it without end
    await waitUntilArchived(client, first.rows[0]?.wal ?? '', waitMs);
    const base = await takeBaseBackup({
      target: o.target,
      adminUrl: o.adminUrl,
      storage: o.storage,
      recipients: o.recipients,
      compressLevel: o.compressLevel,
      env: o.env,
      log,
      timeoutMs: waitMs + 600_000,
    });
    markers.push(await insert(2, 'after the base backup'));
    // the target lies between marker 2's commit and marker 3's, a second apart on the server's clock
    const afterTwo = await clock();
    await sleep(1000);
    const beforeThree = await clock();
    const targetTime = new Date((afterTwo.getTime() + beforeThree.getTime()) / 2);
    markers.push(await insert(3, 'after the target time'));
    const switched = await client.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
    log(`drill: markers written, waiting until ${switched.rows[0]?.wal} is archived`);
    const archiver = await waitUntilArchived(client, switched.rows[0]?.wal ?? '', waitMs);
    const expected = markers.filter((m) => Date.parse(m.at) <= targetTime.getTime()).map((m) => m.n);
    let found: number[] = [];
    const restore = await restoreToPoint({
      target: o.target,
      storage: o.storage,
      storageUrl: o.storageUrl,
      configPath: o.configPath,
      identity: o.identity,
      identityEnv: o.identityEnv,
      request: { kind: 'time', time: targetTime },
      baseId: base.id,
      intoDir: restoredDir,
      env: o.env,
      log,
      inspect: async (port) => {
        const url = new URL(o.adminUrl);
        url.hostname = '127.0.0.1';
        url.port = String(port);
        const restored = await connectAdmin(url.toString(), 'preflight-drill');
        try {
          const { rows } = await restored.query<{ n: number }>(
            `SELECT n FROM ${quoteIdent(table)} ORDER BY n`,
          );
          found = rows.map((r) => r.n);
        } finally {
          await restored.end().catch(() => undefined);
        }
      },
    });
    const exact = restore.ok && found.join(',') === expected.join(',');
    const report: DrillReport = {
      ok: exact,
      target: o.target,
      baseId: base.id,
      markers,
      targetTime: targetTime.toISOString(),
      expected,
      found,
      rpo: {
        lastArchivedWal: archiver.lastArchivedWal,
        ageSeconds: archiver.ageSeconds,
        failedCount: archiver.failedCount,
      },
      restore,
    };
    if (!restore.ok) report.problem = restore.failure?.message ?? 'the restore did not finish';
    else if (!exact)
      report.problem = `expected markers ${expected.join(', ')}, the restored copy holds ${found.join(', ') || 'none'}`;
    return report;
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
    await client.end().catch(() => undefined);
    await stopServer(restoredDir).catch(() => undefined);
    rmSync(restoredDir, { recursive: true, force: true });
  }
}
