/** The twin's PostgreSQL: a throwaway cluster, the `instainstru` database, its roles, schema and seed, and a template for fast resets. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Cluster, createCluster } from '../core/pg/cluster.js';
import {
  APP_ROLE,
  DATABASE_NAME,
  getGrantsSql,
  getPostSeedSql,
  getRolesSql,
  getSchemaSql,
  READONLY_ROLE,
  TEMPLATE_DATABASE_NAME,
} from './schema.js';
import {
  hashSeedPasswords,
  type SeedHashes,
  type SeedPasswords,
  type SeedSummary,
  seedDatabase,
} from './seed.js';
import type { Weaknesses } from './weaknesses.js';

export interface ProvisionedDatabase {
  cluster: Cluster;
  adminUrl: string;
  readonlyUrl: string;
  appUrl: string;
  seed: SeedSummary;
  hashes: SeedHashes;
}

export interface ProvisionOptions {
  dataDir: string;
  weak: Weaknesses;
  passwords: SeedPasswords;
  log?: (message: string) => void;
}

export function createRandomSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** initdb + start + create the database, roles, schema and seed; leaves a template copy for `reset`. */
export async function provisionDatabase(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  const log = options.log ?? (() => undefined);
  const superPassword = createRandomSecret();
  const appPassword = createRandomSecret();
  const readonlyPassword = createRandomSecret();
  let started = Date.now();
  const hashing = hashSeedPasswords(options.passwords);
  hashing.catch(() => undefined);
  const cluster = await createCluster({ dataDir: options.dataDir, password: superPassword });
  log(`PostgreSQL ${cluster.binaries.major} started on port ${cluster.port} (${Date.now() - started} ms)`);
  try {
    started = Date.now();
    await withClient(cluster.url('postgres'), async (client) => {
      await client.query(`CREATE DATABASE ${DATABASE_NAME} STRATEGY FILE_COPY`);
      await client.query(getRolesSql({ app: appPassword, readonly: readonlyPassword }));
    });
    const hashes = await hashing;
    const seedStarted = Date.now();
    const seed = await withClient(cluster.url(DATABASE_NAME), async (client) => {
      await client.query(getSchemaSql());
      const summary = await seedDatabase(client, hashes);
      await client.query(getPostSeedSql(options.weak));
      await client.query(getGrantsSql());
      return summary;
    });
    const seedMs = Date.now() - seedStarted;
    await withClient(cluster.url('postgres'), async (client) => {
      await client.query(
        `CREATE DATABASE ${TEMPLATE_DATABASE_NAME} TEMPLATE ${DATABASE_NAME} STRATEGY FILE_COPY`,
      );
      await client.query(
        `ALTER DATABASE ${TEMPLATE_DATABASE_NAME} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      );
    });
    log(
      `Schema and seed written (${Object.entries(seed.counts)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}) in ${Date.now() - started} ms (seed ${seedMs} ms)`,
    );
    return {
      cluster,
      adminUrl: cluster.url(DATABASE_NAME),
      readonlyUrl: cluster.url(DATABASE_NAME, READONLY_ROLE, readonlyPassword),
      appUrl: cluster.url(DATABASE_NAME, APP_ROLE, appPassword),
      seed,
      hashes,
    };
  } catch (error) {
    await cluster.destroy().catch(() => undefined);
    throw error;
  }
}

/** Restores the seed: drops the live database (closing its sessions) and copies it again from the template. */
export async function resetDatabase(adminUrl: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = '/postgres';
  await withClient(url.toString(), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${DATABASE_NAME} WITH (FORCE)`);
    await client.query(
      `CREATE DATABASE ${DATABASE_NAME} TEMPLATE ${TEMPLATE_DATABASE_NAME} STRATEGY FILE_COPY`,
    );
  });
}
