import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from './catalog.js';
import { applyStableOutputSettings, computeTableFigures } from './figures.js';
import {
  createAgeKeys,
  createSeededDatabase,
  makeTempDir,
  removeTempDirs,
  type SeededDatabase,
} from './fixtures/support.js';
import { defaultRetryPolicy } from './retry.js';
import { runBackup } from './run.js';
import { assertSessionConnection } from './snapshot.js';
import { createFileStorage } from './storage/file.js';
import { verifyBackup } from './verify.js';

describe('admin URL guard', () => {
  it('refuses the Supabase transaction pooler (6543) and accepts the session pooler (5432)', () => {
    expect(() =>
      assertSessionConnection(
        'postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres',
      ),
    ).toThrow(/transaction pooler/);
    expect(() =>
      assertSessionConnection(
        'postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres',
      ),
    ).not.toThrow();
  });
});

describe('backup run + verify on file storage', () => {
  let db: SeededDatabase;
  let keys: { identity: string; recipient: string };
  let dir: string;
  beforeAll(async () => {
    [db, keys] = await Promise.all([createSeededDatabase('run-verify'), createAgeKeys()]);
    dir = makeTempDir('store');
  });
  afterAll(async () => {
    await db?.destroy();
    removeTempDirs();
  });

  it('stores a complete backup whose restored copy matches the manifest exactly', async () => {
    const storage = createFileStorage(join(dir, 'store'));
    const textfileDir = join(dir, 'metrics');
    const { id, manifest } = await runBackup({
      target: 'local',
      adminUrl: db.url,
      storage,
      recipients: [keys.recipient],
      compressLevel: 6,
      metrics: { textfileDir },
    });
    expect(manifest.tables.find((t) => t.table === 'accounts')?.rows).toBe(504);
    const catalog = await readCatalog(storage, 'local');
    expect(catalog.map((e) => [e.id, e.complete])).toEqual([[id, true]]);
    const { record } = await verifyBackup({
      target: 'local',
      storage,
      id: 'latest',
      identity: keys.identity,
      workDir: join(dir, 'work'),
      restoreJobs: 2,
      metrics: { textfileDir },
      retry: defaultRetryPolicy,
    });
    expect(record.ok).toBe(true);
    expect(record.tables).toEqual({ total: 5, mismatched: [] });
  });

  it('checksums cover every column, even in a table with a column named like the row alias', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await applyStableOutputSettings(client);
      await client.query('BEGIN');
      for (const method of ['hashtext', 'hashrecord', 'md5'] as const) {
        const before = await computeTableFigures(client, 'app', 'Mixed Case', method);
        await client.query(`SAVEPOINT s; UPDATE app."Mixed Case" SET x = 9.5 WHERE x = 1.25`);
        const after = await computeTableFigures(client, 'app', 'Mixed Case', method);
        await client.query('ROLLBACK TO SAVEPOINT s');
        expect(after.rows).toBe(before.rows);
        expect(after.checksum, method).not.toBe(before.checksum);
      }
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });

  it.each(['hashrecord', 'hashtext', 'md5'] as const)(
    'records and verifies %s checksums (hashrecord falls back per table)',
    async (method) => {
      const storage = createFileStorage(join(dir, `store-${method}`));
      const { manifest } = await runBackup({
        target: 'local',
        adminUrl: db.url,
        storage,
        recipients: [keys.recipient],
        compressLevel: 1,
        checksumMethod: method,
        metrics: {},
      });
      expect(manifest.checksumMethod).toBe(method);
      const methods = Object.fromEntries(manifest.tables.map((t) => [t.table, t.method]));
      expect(methods).toEqual({
        'Mixed Case': method,
        accounts: method,
        bookings: method,
        empty_table: method,
        // point, json and xml have no hash function: that table is checksummed as text
        shapes: method === 'hashrecord' ? 'hashtext' : method,
      });
      const { record } = await verifyBackup({
        target: 'local',
        storage,
        id: 'latest',
        identity: keys.identity,
        workDir: join(dir, 'work'),
        intoUrl: db.cluster.url(),
        restoreJobs: 2,
        metrics: {},
        retry: defaultRetryPolicy,
      });
      expect(record).toMatchObject({
        ok: true,
        restoredInto: 'given-server',
        tables: { total: 5, mismatched: [] },
      });
    },
  );
});
