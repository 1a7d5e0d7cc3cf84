/**
 * Exact row counts and order-independent content checksums per table (the sum of a 64-bit hash of every row).
 * The same query runs in the backup's snapshot and on the restored copy, with the same output settings,
 * so equal data gives equal figures.
 */
import type pg from 'pg';

/** A table's row count and order-independent checksum, recorded in the manifest and compared after a restore. */
export interface TableFigures {
  schema: string;
  table: string;
  rows: number;
  /** Sum over every row of a 64-bit hash of the row (its `method`), as a decimal string: order-independent. */
  checksum: string;
  /** How this table's checksum was computed (hashcolumns and hashrecord fall back to hashtext for types without a hash function). */
  method?: ChecksumMethod;
}

/** Session settings that fix every type's text output (timestamps, floats, bytea, intervals, money). */
export const stableOutputSettings: Record<string, string> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  bytea_output: 'hex',
  lc_monetary: 'C',
};

export async function applyStableOutputSettings(client: pg.ClientBase): Promise<void> {
  for (const [name, value] of Object.entries(stableOutputSettings)) {
    await client.query(`SELECT set_config($1, $2, false)`, [name, value]);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Ordinary tables whose data pg_dump dumps: user schemas, no extension members, leaf partitions only. */
export async function listDumpedTables(
  client: pg.ClientBase,
): Promise<Array<{ schema: string; table: string }>> {
  const { rows } = await client.query<{ schema: string; table: string }>(`
    SELECT n.nspname AS schema, c.relname AS table
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
    ORDER BY 1, 2`);
  return rows;
}

export type ChecksumMethod = 'hashcolumns' | 'hashtext' | 'hashrecord' | 'md5';

/**
 * Per-row 64-bit hash: of the row's values column by column with each type's own extended hash function
 * (hashcolumns: cheapest, no row or text is built; values compared by their type's equality), of the row's values
 * with hash_record_extended (hashrecord: builds the row first), of the row's text with hashtextextended (hashtext:
 * exact text), or the first 64 bits of md5 of the row's text (md5: independent of the server's hash functions).
 */
// `t.*` is always the whole row, even when the table has a column named t
const rowHashSql: Record<Exclude<ChecksumMethod, 'hashcolumns'>, string> = {
  hashtext: 'hashtextextended((t.*)::text, 0)',
  hashrecord: 'hash_record_extended(t.*, 0)',
  md5: "('x' || substr(md5((t.*)::text), 1, 16))::bit(64)::bigint",
};

/** SQLSTATE 42883: a column type without an extended hash function (json, xml, point, ...). */
const UNDEFINED_FUNCTION = '42883';
const NO_ACTIVE_TRANSACTION = '25P01';

/**
 * Each column's extended hash function: the support function 2 of its type's default hash operator class (found
 * as PostgreSQL finds it: the type itself, a domain's base type, a binary-coercible type, preferring the category's
 * preferred type (varchar -> text), or the polymorphic class of an array, enum, range or composite). The value is
 * cast to the function's argument type when that differs; without a callable function or a cast (date's class uses
 * hashint4extended, which takes no date; bytea's takes `internal`) the column is hashed as text.
 */
async function listColumnHashes(
  client: pg.ClientBase,
  schema: string,
  table: string,
): Promise<Array<{ name: string; func: string | null; castTo: string | null }>> {
  const { rows } = await client.query<{
    name: string;
    func: string | null;
    cast_to: string | null;
    by_text: boolean;
  }>(
    `WITH cols AS (
       SELECT a.attnum, a.attname,
              CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE a.atttypid END AS base,
              ${oidDependentTypeSql('a.atttypid')} AS by_text
       FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
       WHERE a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass
         AND a.attnum > 0 AND NOT a.attisdropped),
     found AS (
       SELECT c.attnum, c.attname, c.base, c.by_text, h.func, h.argtype
       FROM cols c JOIN pg_type bt ON bt.oid = c.base
       LEFT JOIN LATERAL (
         SELECT p.amproc::regproc::text AS func, pr.proargtypes[0] AS argtype
         FROM pg_opclass oc
         JOIN pg_am am ON am.oid = oc.opcmethod AND am.amname = 'hash'
         JOIN pg_amproc p ON p.amprocfamily = oc.opcfamily AND p.amprocnum = 2
                         AND p.amproclefttype = oc.opcintype AND p.amprocrighttype = oc.opcintype
         JOIN pg_proc pr ON pr.oid = p.amproc
         JOIN pg_type it ON it.oid = oc.opcintype
         WHERE oc.opcdefault AND (
           oc.opcintype = c.base
           OR EXISTS (SELECT 1 FROM pg_cast k
                      WHERE k.castsource = c.base AND k.casttarget = oc.opcintype AND k.castmethod = 'b')
           OR (oc.opcintype = 'anyarray'::regtype AND bt.typcategory = 'A' AND bt.typelem <> 0)
           OR (oc.opcintype = 'anyenum'::regtype AND bt.typtype = 'e')
           OR (oc.opcintype = 'anyrange'::regtype AND bt.typtype = 'r')
           OR (oc.opcintype = 'anymultirange'::regtype AND bt.typtype = 'm')
           OR (oc.opcintype = 'record'::regtype AND bt.typtype = 'c'))
         ORDER BY oc.opcintype = c.base DESC, it.typispreferred DESC
         LIMIT 1) h ON true)
     SELECT f.attname AS name, f.by_text,
            CASE WHEN f.argtype = f.base OR f.polymorphic OR k.oid IS NOT NULL THEN f.func END AS func,
            CASE WHEN f.argtype <> f.base AND NOT f.polymorphic AND k.oid IS NOT NULL
                 THEN format_type(f.argtype, NULL) END AS cast_to
     FROM (SELECT found.*, coalesce(at.typtype = 'p' AND (at.typname LIKE 'any%' OR at.typname = 'record'), false)
                             AS polymorphic
           FROM found LEFT JOIN pg_type at ON at.oid = found.argtype) f
     LEFT JOIN pg_cast k ON k.castsource = f.base AND k.casttarget = f.argtype
     ORDER BY f.attnum`,
    [schema, table],
  );
  return rows.map((r) => ({
    name: r.name,
    func: r.by_text ? null : r.func,
    castTo: r.by_text ? null : r.cast_to,
  }));
}

/** Types whose stored value is an OID of this cluster: a restore gives them new internal values but the same text. */
const oidAliasTypes = [
  'aclitem',
  'regclass',
  'regcollation',
  'regconfig',
  'regdictionary',
  'regnamespace',
  'regoper',
  'regoperator',
  'regproc',
  'regprocedure',
  'regrole',
  'regtype',
];

/**
 * SQL that is true when the type `typeExpr` holds an OID anywhere inside: an enum (stored as its label's OID), a
 * reg* alias, or a domain, array, range, multirange or composite built over one. Such values hash by their text.
 */
export function oidDependentTypeSql(typeExpr: string): string {
  return `(WITH RECURSIVE parts(t) AS (
      SELECT ${typeExpr}
      UNION
      SELECT x.child FROM parts p JOIN pg_type pt ON pt.oid = p.t
      CROSS JOIN LATERAL (
        SELECT pt.typbasetype AS child WHERE pt.typtype = 'd'
        UNION ALL SELECT pt.typelem WHERE pt.typelem <> 0
        UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = pt.oid
        UNION ALL SELECT r.rngtypid FROM pg_range r WHERE (to_jsonb(r) ->> 'rngmultitypid')::oid = pt.oid
        UNION ALL SELECT ca.atttypid FROM pg_attribute ca
                  WHERE pt.typtype = 'c' AND ca.attrelid = pt.typrelid AND ca.attnum > 0 AND NOT ca.attisdropped
      ) x)
    SELECT coalesce(bool_or(pt.typtype = 'e' OR (pt.typnamespace = 'pg_catalog'::regnamespace
                      AND pt.typname IN (${oidAliasTypes.map((t) => `'${t}'`).join(', ')}))), false)
    FROM parts p JOIN pg_type pt ON pt.oid = p.t)`;
}

/**
 * hashcolumns' row hash: the columns' hashes, each shifted by its position, XORed (so values swapped between
 * columns change it); a NULL hashes to a constant of its position.
 */
async function buildColumnsRowHash(client: pg.ClientBase, schema: string, table: string): Promise<string> {
  const columns = await listColumnHashes(client, schema, table);
  if (columns.length === 0) return '0::bigint';
  return columns
    .map(({ name, func, castTo }, i) => {
      const column = `t.${quoteIdent(name)}`;
      const hash = func
        ? `${func}(${castTo ? `${column}::${castTo}` : column}, 0)`
        : `hashtextextended(${column}::text, 0)`;
      const shift = i % 61;
      const value = `coalesce(${hash}, ${-(i + 1)})`;
      return shift ? `(${value} << ${shift})` : value;
    })
    .join(' # ');
}

/**
 * Counts and checksums one table (ONLY: inheritance children are counted on their own, as pg_dump dumps them).
 * hashcolumns and hashrecord fall back to hashtext for a table with a column type that has no hash function (an
 * array or composite of json, say); the method used is recorded per table.
 */
export async function computeTableFigures(
  client: pg.ClientBase,
  schema: string,
  table: string,
  method: ChecksumMethod = 'hashtext',
): Promise<TableFigures> {
  const query = async (m: ChecksumMethod) => {
    const rowHash = m === 'hashcolumns' ? await buildColumnsRowHash(client, schema, table) : rowHashSql[m];
    return client.query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows, coalesce(sum(${rowHash}), 0)::text AS checksum
       FROM ONLY ${quoteIdent(schema)}.${quoteIdent(table)} AS t`,
    );
  };
  // hash_record_extended hashes an enum by its OID: such a table falls back to hashcolumns (which hashes it by label)
  let used: ChecksumMethod =
    method === 'hashrecord' && (await hasOidDependentColumn(client, schema, table)) ? 'hashcolumns' : method;
  let result: pg.QueryResult<{ rows: string; checksum: string }>;
  if (used === 'hashrecord' || used === 'hashcolumns') {
    // inside a transaction (the snapshot's) a failed query needs a savepoint; outside one it needs nothing
    const inTransaction = await client.query('SAVEPOINT preflight_figures').then(
      () => true,
      (error: { code?: string }) => {
        if (error.code === NO_ACTIVE_TRANSACTION) return false;
        throw error;
      },
    );
    try {
      result = await query(used);
      if (inTransaction) await client.query('RELEASE SAVEPOINT preflight_figures');
    } catch (error) {
      if ((error as { code?: string }).code !== UNDEFINED_FUNCTION) throw error;
      if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT preflight_figures');
      used = 'hashtext';
      result = await query(used);
    }
  } else {
    result = await query(method);
  }
  const row = result.rows[0];
  return { schema, table, rows: Number(row?.rows ?? 0), checksum: row?.checksum ?? '0', method: used };
}

async function hasOidDependentColumn(client: pg.ClientBase, schema: string, table: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(
    `SELECT coalesce(bool_or(${oidDependentTypeSql('a.atttypid')}), false) AS found
     FROM pg_attribute a
     WHERE a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table],
  );
  return rows[0]?.found === true;
}

/**
 * Inside the current transaction, names print schema-qualified whatever the database's search_path (reg* values,
 * definitions): the same text on the source and on the restored copy.
 */
export async function useCatalogSearchPath(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT set_config('search_path', 'pg_catalog, pg_temp', true)`);
}

export async function computeAllFigures(
  client: pg.ClientBase,
  method: ChecksumMethod = 'hashtext',
): Promise<TableFigures[]> {
  await useCatalogSearchPath(client);
  const out: TableFigures[] = [];
  for (const { schema, table } of await listDumpedTables(client))
    out.push(await computeTableFigures(client, schema, table, method));
  return out;
}

/** Recomputes the figures of the restored copy with the method each table was recorded with. */
export async function computeFiguresLike(
  client: pg.ClientBase,
  expected: TableFigures[],
  fallback: ChecksumMethod,
): Promise<TableFigures[]> {
  const methodOf = new Map(expected.map((f) => [`${f.schema}.${f.table}`, f.method ?? fallback]));
  await useCatalogSearchPath(client);
  const out: TableFigures[] = [];
  for (const { schema, table } of await listDumpedTables(client)) {
    out.push(
      await computeTableFigures(client, schema, table, methodOf.get(`${schema}.${table}`) ?? fallback),
    );
  }
  return out;
}

export interface FigureMismatch {
  schema: string;
  table: string;
  expected: { rows: number; checksum: string } | null;
  actual: { rows: number; checksum: string } | null;
}

/** Compares the manifest's figures with the restored copy's; extra or missing tables are mismatches too. */
export function compareFigures(expected: TableFigures[], actual: TableFigures[]): FigureMismatch[] {
  const key = (f: { schema: string; table: string }) => `${f.schema}.${f.table}`;
  const actualByKey = new Map(actual.map((f) => [key(f), f]));
  const out: FigureMismatch[] = [];
  for (const e of expected) {
    const a = actualByKey.get(key(e));
    actualByKey.delete(key(e));
    if (!a || a.rows !== e.rows || a.checksum !== e.checksum) {
      out.push({
        schema: e.schema,
        table: e.table,
        expected: { rows: e.rows, checksum: e.checksum },
        actual: a ? { rows: a.rows, checksum: a.checksum } : null,
      });
    }
  }
  for (const a of actualByKey.values())
    out.push({
      schema: a.schema,
      table: a.table,
      expected: null,
      actual: { rows: a.rows, checksum: a.checksum },
    });
  return out;
}
