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

  /** Runs `work` in a transaction that is rolled back, with the backup's output settings. */
  async function inRolledBackTransaction(work: (client: pg.Client) => Promise<void>): Promise<void> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await applyStableOutputSettings(client);
      await client.query('BEGIN');
      await work(client);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  }

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
    await inRolledBackTransaction(async (client) => {
      for (const method of ['hashcolumns', 'hashtext', 'hashrecord', 'md5'] as const) {
        const before = await computeTableFigures(client, 'app', 'Mixed Case', method);
        await client.query(`SAVEPOINT s; UPDATE app."Mixed Case" SET x = 9.5 WHERE x = 1.25`);
        const after = await computeTableFigures(client, 'app', 'Mixed Case', method);
        await client.query('ROLLBACK TO SAVEPOINT s');
        expect(after.rows).toBe(before.rows);
        expect(after.checksum, method).not.toBe(before.checksum);
      }
    });
  });

  it('hashcolumns binds values to their row and column, and hashes every kind of column type', async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query(`
        CREATE DOMAIN positive AS int CHECK (VALUE > 0);
        CREATE TYPE mood AS ENUM ('calm', 'busy');
        CREATE TYPE pair AS (a int, b text);
        CREATE TABLE kinds (a int, b int, v varchar(10), c char(3), n numeric, d positive, e mood,
                            arr int[], r int4range, p pair, ts timestamptz, u uuid, j jsonb, pt point,
                            bt bytea, dt date, bo boolean);
        INSERT INTO kinds VALUES
          (1, 2, 'x', 'ab', 1.5, 3, 'calm', '{1,2}', '[1,5)', ROW(1, 'y'), '2026-01-01Z',
           '00000000-0000-0000-0000-000000000001', '{"k": 1}', '(1,2)', '\\x01', '2026-02-28', true),
          (3, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
      const figures = () => computeTableFigures(client, 'public', 'kinds', 'hashcolumns');
      const base = await figures();
      expect(base).toMatchObject({ rows: 2, method: 'hashcolumns' });
      const changed = async (sql: string) => {
        await client.query(`SAVEPOINT c; ${sql}`);
        const after = await figures();
        await client.query('ROLLBACK TO SAVEPOINT c');
        expect(after.rows, sql).toBe(base.rows);
        return after.checksum !== base.checksum;
      };
      // values swapped between rows of one column keep every column's sum: the row binding must still see it
      expect(await changed('UPDATE kinds SET b = CASE a WHEN 1 THEN 4 ELSE 2 END')).toBe(true);
      // values swapped between two columns of a row
      expect(await changed('UPDATE kinds SET a = b, b = a WHERE a = 1')).toBe(true);
      for (const sql of [
        "UPDATE kinds SET v = 'z' WHERE a = 1",
        "UPDATE kinds SET e = 'busy' WHERE a = 1",
        "UPDATE kinds SET arr = '{2,1}' WHERE a = 1",
        "UPDATE kinds SET p = ROW(1, 'z') WHERE a = 1",
        'UPDATE kinds SET j = \'{"k": 2}\' WHERE a = 1',
        "UPDATE kinds SET pt = '(2,1)' WHERE a = 1",
        'UPDATE kinds SET ts = NULL WHERE a = 1',
        "UPDATE kinds SET bt = '\\x02' WHERE a = 1",
        "UPDATE kinds SET dt = '2026-03-01' WHERE a = 1",
        'UPDATE kinds SET bo = false WHERE a = 1',
        "UPDATE kinds SET r = '[1,6)' WHERE a = 1",
        "UPDATE kinds SET c = 'ac' WHERE a = 1",
        'UPDATE kinds SET n = 0 WHERE a = 3',
      ])
        expect(await changed(sql), sql).toBe(true);
      // equal values by the type's equality hash alike (numeric 1.50 = 1.5)
      expect(await changed('UPDATE kinds SET n = 1.50 WHERE a = 1')).toBe(false);
    });
  });

  it.each(['hashcolumns', 'hashrecord', 'hashtext', 'md5'] as const)(
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

describe('a target used for backups alone', () => {
  it('needs only its database settings: no baseUrl', async () => {
    const { validateConfig } = await import('../src/core/config/load.js');
    const { resolveTarget, resolveTargetDatabase } = await import('../src/core/target.js');
    const config = validateConfig({
      targets: { vault: { database: { adminUrlEnv: 'VAULT_ADMIN_URL' } } },
    });
    const env = { VAULT_ADMIN_URL: 'postgresql://postgres:secret@127.0.0.1:5432/postgres' };
    expect(resolveTargetDatabase(config, 'vault', { env }).adminUrl).toBe(env.VAULT_ADMIN_URL);
    // everything else still asks for it, by name
    expect(() => resolveTarget(config, 'vault', { env })).toThrow(/Target "vault" has no baseUrl/);
  });
});
