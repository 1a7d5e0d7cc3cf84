/** A REPEATABLE READ transaction whose exported snapshot pg_dump shares, so recorded figures describe exactly what was dumped. */
import pg from 'pg';
import { PreflightError } from '../src/core/errors.js';
import { withPgRetry } from '../src/core/pg/retry.js';
import { redactUrl } from '../src/core/redact.js';
import { applyStableOutputSettings } from './figures.js';

export interface ExportedSnapshot {
  client: pg.Client;
  snapshotId: string;
  database: string;
  serverVersion: string;
  serverVersionNum: number;
  walLsn: string | null;
  timeline: number | null;
  /** Ends the transaction (after pg_dump finished) and closes the connection. */
  close(): Promise<void>;
  /** Cancels the query running in the snapshot (the counts after the upload failed), from a second connection. */
  cancelRunningQuery(): Promise<void>;
}

/** Connects with the one PostgreSQL retry policy: a refused or dropped connection is tried again with backoff. */
export async function connectAdmin(url: string, applicationName = 'preflight-backup'): Promise<pg.Client> {
  return withPgRetry(
    async () => {
      const client = new pg.Client({
        connectionString: url,
        application_name: applicationName,
        connectionTimeoutMillis: 15_000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    },
    {
      operation: `Connecting to ${redactUrl(url)}`,
      code: 'E_TARGET_UNREACHABLE',
      maxElapsedMs: 20_000,
      hint: 'check the admin URL; on Supabase use the direct connection or the session pooler (port 5432), never the transaction pooler (6543)',
    },
  );
}

/** pg_dump needs a session (snapshot import, SET, one long transaction): refuse Supabase's transaction pooler. */
export function assertSessionConnection(url: string): void {
  let port = '';
  let host = '';
  try {
    const parsed = new URL(url);
    port = parsed.port;
    host = parsed.hostname;
  } catch {
    return;
  }
  if (port === '6543') {
    throw new PreflightError(
      'E_CONFIG',
      `The admin URL points at port 6543 on ${host}: a transaction pooler, which pg_dump cannot use`,
      {
        hint: 'use the direct connection (db.<ref>.supabase.co:5432) or the session pooler (port 5432 on the pooler host)',
      },
    );
  }
}

export async function exportSnapshot(url: string): Promise<ExportedSnapshot> {
  assertSessionConnection(url);
  const client = await connectAdmin(url);
  try {
    await applyStableOutputSettings(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // the count and checksum scans run on this one backend, beside pg_dump: no parallel workers taking the
    // server's other cores from pg_dump (and from the live database)
    await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
    const { rows } = await client.query<{
      snapshot: string;
      database: string;
      version: string;
      num: string;
      pid: number;
    }>(
      `SELECT pg_export_snapshot() AS snapshot, current_database() AS database, pg_backend_pid() AS pid,
              current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
    );
    const info = rows[0];
    if (!info) throw new Error('pg_export_snapshot() returned nothing');
    // a standby or a restricted role may not read the WAL position or the control file: the manifest then records null
    const walLsn = await readOptional(client, 'SELECT pg_current_wal_lsn()::text AS value');
    const timeline = await readOptional(
      client,
      'SELECT timeline_id::text AS value FROM pg_control_checkpoint()',
    );
    return {
      client,
      snapshotId: info.snapshot,
      database: info.database,
      serverVersion: info.version,
      serverVersionNum: Number(info.num),
      walLsn,
      timeline: timeline === null ? null : Number(timeline),
      async close() {
        try {
          await client.query('COMMIT');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      async cancelRunningQuery() {
        const other = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
        other.on('error', () => undefined);
        try {
          await other.connect();
          await other.query('SELECT pg_cancel_backend($1)', [info.pid]);
        } finally {
          await other.end().catch(() => undefined);
        }
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** Runs a one-value query inside a savepoint; null when it fails (permissions, recovery). */
async function readOptional(client: pg.Client, sql: string): Promise<string | null> {
  await client.query('SAVEPOINT preflight_optional');
  try {
    const { rows } = await client.query<{ value: string | null }>(sql);
    await client.query('RELEASE SAVEPOINT preflight_optional');
    return rows[0]?.value ?? null;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT preflight_optional');
    return null;
  }
}
