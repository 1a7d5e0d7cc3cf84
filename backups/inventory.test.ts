/**
 * A database made to be awkward (enums and reg* values, arrays, a partitioned table, sequences, a large object,
 * a materialized view, RLS, comments...): backup then verify passes wherever it is restored, with OIDs unlike the
 * source's, and a restore that loses or alters any one object fails verify naming it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPgClientTool } from '../src/core/pg/binaries.js';
import { type Cluster, createCluster } from '../src/core/pg/cluster.js';
import {
  createAgeKeys,
  createSeededDatabase,
  fixturesDir,
  makeTempDir,
  removeTempDirs,
  type SeededDatabase,
} from './fixtures/support.js';
import { inventoryKinds } from './inventory.js';
import { runBackup } from './run.js';
import { createFileStorage } from './storage/file.js';
import { verifyBackup } from './verify.js';

const awkwardSql = readFileSync(join(fixturesDir, 'awkward-database.sql'), 'utf8');

/** A cluster whose OID counter is far from a fresh one's: unrelated enums, types and tables created first. */
async function createShiftedCluster(): Promise<Cluster> {
  const cluster = await createCluster({
    dataDir: join(makeTempDir('shifted'), 'data'),
    password: `pw-${randomBytes(8).toString('hex')}`,
  });
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    for (let i = 0; i < 60; i++)
      await client.query(
        `CREATE TYPE unrelated_${i} AS ENUM ('x', 'y', 'z'); CREATE TABLE unrelated_t${i} (a int, b unrelated_${i})`,
      );
  } finally {
    await client.end();
  }
  return cluster;
}

describe('verify of an awkward database', () => {
  let db: SeededDatabase;
  let shifted: Cluster;
  let keys: { identity: string; recipient: string };
  let dir: string;
  const storeOf = (method: string) => createFileStorage(join(dir, `store-${method}`));

  beforeAll(async () => {
    [db, shifted, keys] = await Promise.all([
      createSeededDatabase('awkward', awkwardSql),
      createShiftedCluster(),
      createAgeKeys(),
    ]);
    dir = makeTempDir('awkward');
    for (const method of ['hashcolumns', 'hashrecord'] as const) {
      await runBackup({
        target: 'awkward',
        adminUrl: db.url,
        storage: storeOf(method),
        recipients: [keys.recipient],
        compressLevel: 1,
        checksumMethod: method,
        metrics: {},
      });
    }
  }, 180_000);
  afterAll(async () => {
    await db?.destroy();
    await shifted?.destroy();
    removeTempDirs();
  });

  const verify = (method: string, overrides: Partial<Parameters<typeof verifyBackup>[0]> = {}) =>
    verifyBackup({
      target: 'awkward',
      storage: storeOf(method),
      id: 'latest',
      identity: keys.identity,
      workDir: join(dir, 'work'),
      restoreJobs: 2,
      metrics: {},
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      ...overrides,
    });

  it('the manifest records every kind of object', async () => {
    const { manifest } = await verify('hashcolumns', { intoUrl: shifted.url() });
    const inventory = manifest.inventory!;
    const count = (kind: (typeof inventoryKinds)[number]) => inventory[kind]?.length ?? 0;
    for (const kind of inventoryKinds) expect(count(kind), kind).toBeGreaterThan(0);
    expect(inventory.ownership).toContainEqual({ name: 'view billing.big_invoices', value: 'reporting' });
    expect(inventory.sequences).toContainEqual(
      expect.objectContaining({
        name: 'billing.invoice_no',
        value: expect.stringMatching(/^last_value 424263, is_called t, increment 7, min 100, max 99999999/),
      }),
    );
    expect(inventory['large objects']).toEqual([
      { name: '424243', value: '5 bytes, md5 b59121341ab26766729b7f1d7f7e0c2f' },
    ]);
    expect(inventory['materialized views']).toEqual([
      { name: 'billing.never_filled', value: expect.stringMatching(/^not populated, definition sha256:/) },
      {
        name: 'billing.totals',
        value: expect.stringMatching(/^populated, 2 rows, checksum -?\d+ \(hashcolumns\)/),
      },
    ]);
  });

  it.each([
    ['hashcolumns', 'a throwaway cluster'],
    ['hashcolumns', 'a cluster with shifted OIDs'],
    ['hashcolumns', 'a second database of the same cluster'],
    ['hashrecord', 'a cluster with shifted OIDs'],
    ['hashrecord', 'a second database of the same cluster'],
  ])('%s: backup then verify passes when restored into %s', async (method, where) => {
    const intoUrl = where.startsWith('a throwaway')
      ? undefined
      : where.includes('shifted')
        ? shifted.url()
        : db.cluster.url();
    const { record } = await verify(method, { intoUrl });
    expect(record.error).toBeUndefined();
    expect(record.tables.mismatched).toEqual([]);
    expect(record.inventory?.compared.flatMap((c) => c.differences)).toEqual([]);
    expect(record.ok).toBe(true);
  });

  it('with --keep-owners into a server that has the roles, ownership and grants are compared and match', async () => {
    const { record } = await verify('hashcolumns', { intoUrl: db.cluster.url(), keepOwners: true });
    expect(record.inventory?.notCompared).toEqual([]);
    const compared = Object.fromEntries(record.inventory!.compared.map((c) => [c.kind, c]));
    expect(compared.ownership?.total).toBeGreaterThan(0);
    expect(compared.grants?.total).toBeGreaterThan(0);
    expect(record.inventory?.compared.flatMap((c) => c.differences)).toEqual([]);
    expect(record.ok).toBe(true);
  });

  it('a sequence the application advances while the backup starts verifies (pg_dump read it between our two reads)', async () => {
    const storage = createFileStorage(join(dir, 'store-live'));
    const { manifest } = await runBackup({
      target: 'awkward',
      adminUrl: db.url,
      storage,
      recipients: [keys.recipient],
      compressLevel: 1,
      metrics: {},
      env: {
        PREFLIGHT_PG_DUMP: join(fixturesDir, 'pg_dump-after-sql.sh'),
        REAL_PG_DUMP: findPgClientTool('pg_dump')!,
        REAL_PSQL: findPgClientTool('psql')!,
        BEFORE_DUMP_SQL: "SELECT nextval('billing.invoice_no')",
        AFTER_DUMP_SQL: "SELECT nextval('billing.invoice_no')",
      },
    });
    // read before (N), dumped at N + 7, read after (N + 14): the restored value is strictly between the reads
    const sequence = manifest.inventory?.sequences?.find((s) => s.name === 'billing.invoice_no');
    const first = Number(/^last_value (\d+),/.exec(sequence?.value ?? '')?.[1]);
    expect(sequence?.later).toMatch(new RegExp(`^last_value ${first + 14},`));
    const { record } = await verifyBackup({
      target: 'awkward',
      storage,
      id: manifest.id,
      identity: keys.identity,
      workDir: join(dir, 'work'),
      intoUrl: shifted.url(),
      restoreJobs: 2,
      metrics: {},
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    });
    expect(record.inventory?.compared.flatMap((c) => c.differences)).toEqual([]);
    expect(record.ok).toBe(true);
  });

  const restoreThen = (sql: string) => ({
    PREFLIGHT_PG_RESTORE: join(fixturesDir, 'pg_restore-then-sql.sh'),
    REAL_PG_RESTORE: findPgClientTool('pg_restore')!,
    REAL_PSQL: findPgClientTool('psql')!,
    AFTER_RESTORE_SQL: sql,
  });

  it('one changed row in a table with enums still fails (hashcolumns)', async () => {
    const { record } = await verify('hashcolumns', {
      intoUrl: shifted.url(),
      env: restoreThen(`UPDATE arrays_and_enums SET ms = '{busy,calm}' WHERE id = 1`),
    });
    expect(record.ok).toBe(false);
    expect(record.error?.code).toBe('E_BACKUP_INTEGRITY');
    expect(record.tables.mismatched).toEqual([
      expect.objectContaining({
        schema: 'public',
        table: 'arrays_and_enums',
        expected: expect.objectContaining({ rows: 3 }),
      }),
    ]);
  });

  it.each([
    ['schemas', 'billing', 'DROP SCHEMA billing CASCADE', undefined],
    ['sequences', 'billing.invoice_no', "SELECT setval('billing.invoice_no', 100, false)", undefined],
    ['large objects', '424243', 'SELECT lo_unlink(424243)', undefined],
    ['large objects', '424243', "SELECT lo_put(424243, 0, '\\x09'::bytea)", undefined],
    [
      'materialized views',
      'billing.totals',
      'ALTER MATERIALIZED VIEW billing.totals RENAME TO totals2',
      'billing.totals2',
    ],
    [
      'materialized views',
      'billing.never_filled',
      'REFRESH MATERIALIZED VIEW billing.never_filled',
      undefined,
    ],
    ['views', 'billing.big_invoices', 'DROP VIEW billing.big_invoices', undefined],
    [
      'functions',
      'function billing.touch()',
      "CREATE OR REPLACE FUNCTION billing.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
      undefined,
    ],
    ['functions', 'procedure billing.noop(IN x integer)', 'DROP PROCEDURE billing.noop', undefined],
    [
      'triggers',
      'invoices_touch on billing.invoices',
      'DROP TRIGGER invoices_touch ON billing.invoices',
      undefined,
    ],
    ['indexes', 'billing.invoices_owner_idx', 'DROP INDEX billing.invoices_owner_idx', undefined],
    [
      'constraints',
      'lines_n_positive on billing.lines',
      'ALTER TABLE billing.lines DROP CONSTRAINT lines_n_positive',
      undefined,
    ],
    [
      'row security',
      'billing.invoices',
      'ALTER TABLE billing.invoices NO FORCE ROW LEVEL SECURITY',
      undefined,
    ],
    [
      'policies',
      'invoices_owner on billing.invoices',
      'DROP POLICY invoices_owner ON billing.invoices',
      undefined,
    ],
    ['extensions', 'btree_gist', 'DROP EXTENSION btree_gist CASCADE', undefined],
    [
      'comments',
      'column ms of table public.arrays_and_enums',
      'COMMENT ON COLUMN arrays_and_enums.ms IS NULL',
      undefined,
    ],
    ['comments', 'large object 424243', "COMMENT ON LARGE OBJECT 424243 IS 'changed'", undefined],
    [
      'ownership',
      'view billing.big_invoices',
      'ALTER VIEW billing.big_invoices OWNER TO postgres',
      undefined,
    ],
    ['grants', 'table billing.invoices', 'REVOKE SELECT ON billing.invoices FROM reporting', undefined],
  ])('a restore whose %s lose or alter %s fails verify naming it', async (kind, name, sql, extra) => {
    // owners and grants restore only where the roles exist: the source's own cluster, with --keep-owners
    const { record } = await verify('hashcolumns', {
      env: restoreThen(sql),
      ...(kind === 'ownership' || kind === 'grants'
        ? { intoUrl: db.cluster.url(), keepOwners: true }
        : { intoUrl: shifted.url() }),
    });
    expect(record.ok).toBe(false);
    expect(record.error?.code).toBe('E_BACKUP_INTEGRITY');
    const compared = record.inventory?.compared.find((c) => c.kind === kind);
    expect(compared?.differences.map((d) => d.name)).toEqual(extra ? [name, extra] : [name]);
    expect(record.error?.message).toContain(`${kind}: ${name}`);
  });
});
