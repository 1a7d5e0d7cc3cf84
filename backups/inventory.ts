/**
 * The whole database beside its tables: schemas, sequences, large objects, materialized views, views, functions,
 * triggers, indexes, constraints, row security, policies, extensions, comments, ownership and grants. Recorded in
 * the backup's snapshot, recomputed on the restored copy and compared object by object.
 * Every name and definition is printed with search_path = pg_catalog (useCatalogSearchPath), so it is qualified
 * the same way on both sides; nothing compared is an OID except large objects' own (pg_restore keeps those).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { type ChecksumMethod, computeTableFigures, useCatalogSearchPath } from './figures.js';

export const inventoryKinds = [
  'schemas',
  'sequences',
  'large objects',
  'materialized views',
  'views',
  'functions',
  'triggers',
  'indexes',
  'constraints',
  'row security',
  'policies',
  'extensions',
  'comments',
  'ownership',
  'grants',
] as const;
export type InventoryKind = (typeof inventoryKinds)[number];

export interface InventoryItem {
  name: string;
  /** What must match after a restore: a value, or `sha256:` of a normalized definition. */
  value: string;
  /** Sequences only: the value read again after pg_dump finished (a live database may advance it meanwhile). */
  later?: string;
}

export type DatabaseInventory = Partial<Record<InventoryKind, InventoryItem[]>>;

/** Kinds a restore with --no-owner / --no-privileges cannot reproduce. */
export const ownerKinds: InventoryKind[] = ['ownership'];
export const grantKinds: InventoryKind[] = ['grants'];

const hashText = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;

const userSchema = (nsp: string) =>
  `${nsp} NOT IN ('pg_catalog', 'information_schema') AND ${nsp} NOT LIKE 'pg\\_toast%' AND ${nsp} NOT LIKE 'pg\\_temp\\_%'`;
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
const userRelation = `${userSchema('n.nspname')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

/** Schemas, relations, functions and types of the database with their owner and ACL (extension members excluded). */
const ownedObjectsSql = `WITH owned AS (
    SELECT 'pg_namespace'::regclass AS classid, n.oid AS objid, n.nspowner AS owner, n.nspacl AS acl
    FROM pg_namespace n WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_namespace', 'n.oid')}
    UNION ALL
    SELECT 'pg_class'::regclass, c.oid, c.relowner, c.relacl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${userRelation}
    UNION ALL
    SELECT 'pg_proc'::regclass, p.oid, p.proowner, p.proacl FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_proc', 'p.oid')}
    UNION ALL
    SELECT 'pg_type'::regclass, t.oid, t.typowner, t.typacl FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND EXISTS (
             SELECT 1 FROM pg_class tc WHERE tc.oid = t.typrelid AND tc.relkind = 'c')))
      AND ${userSchema('n.nspname')} AND ${notExtensionMember('pg_type', 't.oid')})`;

/** Each kind's query: rows of (name, value text); `hashed` kinds hash the value, the others keep it readable. */
const kindQueries: Array<{ kind: InventoryKind; hashed: boolean; sql: string }> = [
  {
    kind: 'schemas',
    hashed: false,
    sql: `SELECT quote_ident(n.nspname) AS name, 'present' AS value FROM pg_namespace n
          WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_namespace', 'n.oid')}`,
  },
  {
    kind: 'views',
    hashed: true,
    sql: `SELECT format('%I.%I', n.nspname, c.relname) AS name,
                 pg_get_viewdef(c.oid) || ' ' || coalesce(array_to_string(c.reloptions, ','), '') AS value
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND ${userRelation}`,
  },
  {
    kind: 'functions',
    hashed: true,
    sql: `SELECT format('%s %I.%I(%s)', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
                        n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS name,
                 CASE WHEN p.prokind = 'a' THEN pg_get_function_result(p.oid) ELSE pg_get_functiondef(p.oid) END AS value
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_proc', 'p.oid')}`,
  },
  {
    kind: 'triggers',
    hashed: true,
    sql: `SELECT format('%I on %I.%I', t.tgname, n.nspname, c.relname) AS name,
                 pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text AS value
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT t.tgisinternal AND ${userRelation}`,
  },
  {
    kind: 'indexes',
    hashed: true,
    sql: `SELECT format('%I.%I', n.nspname, ic.relname) AS name,
                 pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisclustered THEN ' CLUSTER' ELSE '' END AS value
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${userRelation}`,
  },
  {
    kind: 'constraints',
    hashed: true,
    sql: `SELECT format('%I on %s', k.conname,
                        CASE WHEN k.conrelid <> 0 THEN format('%I.%I', n.nspname, c.relname)
                             ELSE 'domain ' || format_type(k.contypid, NULL) END) AS name,
                 k.contype::text || ' ' || pg_get_constraintdef(k.oid) AS value
          FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
          LEFT JOIN pg_class c ON c.oid = k.conrelid
          WHERE ${userSchema('n.nspname')} AND (k.conrelid = 0 OR ${notExtensionMember('pg_class', 'c.oid')})
            AND (k.contypid = 0 OR ${notExtensionMember('pg_type', 'k.contypid')})`,
  },
  {
    kind: 'row security',
    hashed: false,
    sql: `SELECT format('%I.%I', n.nspname, c.relname) AS name,
                 CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END ||
                 CASE WHEN c.relforcerowsecurity THEN ', forced' ELSE '' END AS value
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND ${userRelation}`,
  },
  {
    kind: 'policies',
    hashed: true,
    sql: `SELECT format('%I on %I.%I', p.polname, n.nspname, c.relname) AS name,
                 concat_ws(' ', p.polcmd::text, p.polpermissive,
                   (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ',' ORDER BY 1)
                    FROM unnest(p.polroles) r),
                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) AS value
          FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE ${userRelation}`,
  },
  {
    kind: 'extensions',
    hashed: false,
    sql: `SELECT quote_ident(x.extname) AS name, x.extversion || ' in ' || quote_ident(n.nspname) AS value
          FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace`,
  },
  {
    kind: 'comments',
    hashed: true,
    // OIDs below 16384 are initdb's objects (their comments are the server's, not the database's)
    sql: `SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid) AS name, d.description AS value
          FROM pg_description d
          WHERE d.objoid >= 16384 AND pg_describe_object(d.classoid, d.objoid, d.objsubid) IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e')
            AND NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE d.classoid = 'pg_class'::regclass AND c.oid = d.objoid AND NOT (${userSchema('n.nspname')}))`,
  },
  {
    kind: 'ownership',
    hashed: false,
    sql: `${ownedObjectsSql} SELECT pg_describe_object(classid, objid, 0) AS name, pg_get_userbyid(owner) AS value FROM owned`,
  },
  {
    kind: 'grants',
    hashed: false,
    sql: `${ownedObjectsSql} SELECT pg_describe_object(classid, objid, 0) AS name, acl::text AS value FROM owned WHERE acl IS NOT NULL`,
  },
];

/** The database's sequences (qualified name first), for their definitions and their state (see readSequenceStates). */
const sequencesFromSql = `FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${userRelation} ORDER BY 1`;

/** Every sequence's `last_value N, is_called B` now (sequences are not transactional: this is not the snapshot's). */
export async function readAllSequenceStates(client: pg.ClientBase): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name ${sequencesFromSql}`,
  );
  return readSequenceStates(
    client,
    rows.map((r) => r.name),
  );
}

async function listSequences(client: pg.ClientBase): Promise<InventoryItem[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name,
            format('increment %s, min %s, max %s, start %s, cycle %s', s.seqincrement, s.seqmin, s.seqmax,
                   s.seqstart, s.seqcycle) AS definition
     ${sequencesFromSql}`,
  );
  if (rows.length === 0) return [];
  const states = await readSequenceStates(
    client,
    rows.map((r) => r.name),
  );
  return rows.map((r) => ({ name: r.name, value: `${states.get(r.name)}, ${r.definition}` }));
}

/** `last_value N, is_called B` of each sequence (names already quoted and qualified). */
export async function readSequenceStates(
  client: pg.ClientBase,
  names: string[],
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (names.length === 0) return states;
  const { rows } = await client.query<{ name: string; state: string }>(
    names
      .map(
        (name, i) =>
          `SELECT $${i + 1}::text AS name, format('last_value %s, is_called %s', last_value, is_called) AS state FROM ${name}`,
      )
      .join(' UNION ALL '),
    names,
  );
  for (const row of rows) states.set(row.name, row.state);
  return states;
}

/** Every large object: size and md5 of its content (pg_restore keeps the OIDs). */
async function listLargeObjects(client: pg.ClientBase): Promise<InventoryItem[]> {
  const { rows } = await client.query<{ name: string; value: string }>(
    `SELECT m.oid::text AS name, format('%s bytes, md5 %s', length(x.data), md5(x.data)) AS value
     FROM pg_largeobject_metadata m CROSS JOIN LATERAL (SELECT lo_get(m.oid) AS data) x ORDER BY m.oid`,
  );
  return rows;
}

/** Materialized views: populated or not, the definition, and when populated the rows' count and checksum. */
async function listMaterializedViews(
  client: pg.ClientBase,
  method: ChecksumMethod,
): Promise<InventoryItem[]> {
  const { rows } = await client.query<{
    schema: string;
    name: string;
    qualified: string;
    populated: boolean;
    definition: string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS qualified,
            c.relispopulated AS populated, pg_get_viewdef(c.oid) AS definition
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND ${userRelation}
     ORDER BY 1, 2`,
  );
  const out: InventoryItem[] = [];
  for (const row of rows) {
    let state = 'not populated';
    if (row.populated) {
      const figures = await computeTableFigures(client, row.schema, row.name, method);
      state = `populated, ${figures.rows} rows, checksum ${figures.checksum} (${figures.method})`;
    }
    out.push({ name: row.qualified, value: `${state}, definition ${hashText(row.definition)}` });
  }
  return out;
}

/**
 * Records every kind inside the caller's transaction (the backup's snapshot, or the restored copy's read).
 * `method` is the checksum used for materialized views' rows.
 */
export async function captureInventory(
  client: pg.ClientBase,
  method: ChecksumMethod,
): Promise<DatabaseInventory> {
  await useCatalogSearchPath(client);
  const inventory: DatabaseInventory = {};
  for (const { kind, hashed, sql } of kindQueries) {
    const { rows } = await client.query<{ name: string; value: string | null }>(sql);
    inventory[kind] = rows
      .map((r) => ({ name: r.name, value: hashed ? hashText(r.value ?? '') : (r.value ?? '') }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  inventory.sequences = await listSequences(client);
  inventory['large objects'] = await listLargeObjects(client);
  inventory['materialized views'] = await listMaterializedViews(client, method);
  return Object.fromEntries(inventoryKinds.map((k) => [k, inventory[k] ?? []]));
}

/**
 * Records each sequence as read before pg_dump started (`atStart`) and after it finished (read now, `later` where it
 * differs): pg_dump read it at some moment in between, so a restored value in that range is accepted.
 */
export async function recordSequenceReadsAroundDump(
  client: pg.ClientBase,
  inventory: DatabaseInventory,
  atStart: Map<string, string>,
): Promise<void> {
  const sequences = inventory.sequences ?? [];
  const atEnd = await readSequenceStates(
    client,
    sequences.map((s) => s.name),
  );
  for (const item of sequences) {
    const definition = item.value.replace(/^last_value [^,]*, is_called [^,]*/, '');
    const first = atStart.get(item.name);
    if (first) item.value = `${first}${definition}`;
    const last = atEnd.get(item.name);
    if (last && !item.value.startsWith(`${last},`)) item.later = `${last}${definition}`;
  }
}

export interface InventoryDifference {
  name: string;
  expected: string | null;
  actual: string | null;
}

export interface InventoryComparison {
  kind: InventoryKind;
  total: number;
  matched: number;
  differences: InventoryDifference[];
}

/** Objects every new database has (template0): their absence from the source is not the restore's doing. */
const templateObjects: Partial<Record<InventoryKind, string[]>> = {
  schemas: ['public'],
  extensions: ['plpgsql'],
};

/** True when a restored sequence lies between the two reads (pg_dump read it at some moment in between). */
function isSequenceStateAccepted(expected: InventoryItem, actual: string): boolean {
  if (actual === expected.value || actual === expected.later) return true;
  if (!expected.later) return false;
  const parse = (v: string) => /^last_value (-?\d+), is_called (\w+)(.*)$/.exec(v);
  const [a, e1, e2] = [parse(actual), parse(expected.value), parse(expected.later)];
  if (!a || !e1 || !e2 || a[3] !== e1[3]) return false;
  const [lo, hi] = [BigInt(e1[1] ?? 0), BigInt(e2[1] ?? 0)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const value = BigInt(a[1] ?? 0);
  return lo !== undefined && hi !== undefined && value >= lo && value <= hi;
}

/** Compares kind by kind; `skip` lists kinds not compared (ownership and grants when the restore drops them). */
export function compareInventories(
  expected: DatabaseInventory,
  actual: DatabaseInventory,
  skip: InventoryKind[] = [],
): InventoryComparison[] {
  const out: InventoryComparison[] = [];
  for (const kind of inventoryKinds) {
    const want = expected[kind];
    if (!want || skip.includes(kind)) continue;
    const have = new Map((actual[kind] ?? []).map((i) => [i.name, i.value]));
    const differences: InventoryDifference[] = [];
    for (const item of want) {
      const value = have.get(item.name);
      have.delete(item.name);
      const same =
        value !== undefined &&
        (kind === 'sequences' ? isSequenceStateAccepted(item, value) : value === item.value);
      if (!same) differences.push({ name: item.name, expected: item.value, actual: value ?? null });
    }
    for (const [name, value] of have) {
      if (templateObjects[kind]?.includes(name)) continue;
      differences.push({ name, expected: null, actual: value });
    }
    out.push({
      kind,
      total: want.length,
      matched: want.length - differences.filter((d) => d.expected).length,
      differences,
    });
  }
  return out;
}
