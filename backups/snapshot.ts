/** A REPEATABLE READ transaction whose exported snapshot pg_dump shares, so recorded figures describe exactly what was dumped. */
import pg from 'pg';
import { PreflightError } from '../src/errors.js';
import { redact, redactUrl } from '../src/redact.js';
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
}

export async function connectAdmin(url: string, applicationName = 'preflight-backup'): Promise<pg.Client> {
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
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `Cannot connect to ${redactUrl(url)}: ${redact((error as Error).message)}`,
      {
        cause: error,
        hint: 'check the admin URL; on Supabase use the direct connection or the session pooler (port 5432), never the transaction pooler (6543)',
      },
    );
  }
  return client;
}

export async function exportSnapshot(url: string): Promise<ExportedSnapshot> {
  const client = await connectAdmin(url);
  try {
    await applyStableOutputSettings(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ snapshot: string; database: string; version: string; num: string }>(
      `SELECT pg_export_snapshot() AS snapshot, current_database() AS database,
              current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
    );
    const info = rows[0];
    if (!info) throw new Error('pg_export_snapshot() returned nothing');
    let walLsn: string | null = null;
    let timeline: number | null = null;
    try {
      await client.query('SAVEPOINT wal');
      const wal = await client.query<{ lsn: string; tli: string | null }>(
        `SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id::text FROM pg_control_checkpoint()) AS tli`,
      );
      walLsn = wal.rows[0]?.lsn ?? null;
      timeline = wal.rows[0]?.tli ? Number(wal.rows[0].tli) : null;
      await client.query('RELEASE SAVEPOINT wal');
    } catch {
      // a standby or a restricted role cannot read the WAL position; the manifest then records null
      await client.query('ROLLBACK TO SAVEPOINT wal');
    }
    return {
      client,
      snapshotId: info.snapshot,
      database: info.database,
      serverVersion: info.version,
      serverVersionNum: Number(info.num),
      walLsn,
      timeline,
      async close() {
        try {
          await client.query('COMMIT');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
