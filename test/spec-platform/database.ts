// Where the spec platform's data lives: its own throwaway cluster (with a read-only role), or a database passed in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createCluster } from '../../src/core/pg/cluster.js';
import { applySchema, createReadonlyRole } from './schema.js';
import { type SeededAccounts, type SeedPasswords, seedDatabase } from './seed.js';

export type Cleanup = () => Promise<void> | void;

export interface ProvisionedDatabase {
  databaseUrl: string;
  readonlyDatabaseUrl?: string;
  dir?: string;
}

const DATABASE = 'instainstru';
const READONLY_ROLE = 'platform_readonly';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A cluster in a new temporary directory with the empty `instainstru` database; `cleanups` gets its removal. */
export async function createOwnDatabase(
  cleanups: Cleanup[],
  createSecret: () => string,
): Promise<ProvisionedDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'spec-platform-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const cluster = await createCluster({ dataDir: join(dir, 'pgdata'), password: createSecret() });
  cleanups.push(() => cluster.destroy());
  await withClient(cluster.url(), (client) => client.query(`CREATE DATABASE ${DATABASE}`));
  const readonlyPassword = createSecret();
  return {
    dir,
    databaseUrl: cluster.url(DATABASE),
    readonlyDatabaseUrl: cluster.url(DATABASE, READONLY_ROLE, readonlyPassword),
  };
}

/** Schema, seed and (with a read-only URL of our own cluster) the SELECT-only role. */
export async function prepareDatabase(
  database: ProvisionedDatabase,
  passwords: SeedPasswords,
): Promise<SeededAccounts> {
  return withClient(database.databaseUrl, async (client) => {
    await applySchema(client);
    const accounts = await seedDatabase(client, passwords);
    if (database.readonlyDatabaseUrl) {
      const password = decodeURIComponent(new URL(database.readonlyDatabaseUrl).password);
      await createReadonlyRole(client, READONLY_ROLE, password);
    }
    return accounts;
  });
}
