/** Restores a decrypted custom-format dump with pg_restore -j into a scratch database: a throwaway cluster, or a given server. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCluster } from '../src/core/pg/cluster.js';
import { runTool } from '../src/core/process.js';
import { quoteIdent } from './figures.js';
import { connectAdmin } from './snapshot.js';
import { findPgTool, splitConnectionUrl } from './tools.js';

export interface ScratchDatabase {
  url: string;
  kind: 'throwaway-cluster' | 'given-server';
  drop(): Promise<void>;
}

/** A new database on a throwaway cluster under `workDir`, or on the server of `intoUrl`. */
export async function createScratchDatabase(
  workDir: string,
  intoUrl: string | undefined,
  name: string,
): Promise<ScratchDatabase> {
  if (intoUrl) {
    const admin = await connectAdmin(intoUrl, 'preflight-verify');
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
    } finally {
      await admin.end();
    }
    const url = new URL(intoUrl);
    url.pathname = `/${encodeURIComponent(name)}`;
    return {
      url: url.toString(),
      kind: 'given-server',
      async drop() {
        const client = await connectAdmin(intoUrl, 'preflight-verify');
        try {
          await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    };
  }
  const cluster = await createCluster({
    dataDir: join(workDir, 'cluster'),
    password: randomBytes(18).toString('base64url'),
  });
  try {
    const admin = await connectAdmin(cluster.url(), 'preflight-verify');
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await cluster.destroy().catch(() => undefined);
    throw error;
  }
  return { url: cluster.url(name), kind: 'throwaway-cluster', drop: () => cluster.destroy() };
}

/**
 * pg_restore -j N stopping at the first error; without owners or grants (roles of the source need not exist here)
 * unless `keepOwners`.
 */
export async function restoreDump(
  dumpPath: string,
  databaseUrl: string,
  jobs: number,
  env: NodeJS.ProcessEnv = process.env,
  keepOwners = false,
): Promise<void> {
  const connection = splitConnectionUrl(databaseUrl);
  await runTool(
    findPgTool('pg_restore', env),
    [
      ...(keepOwners ? [] : ['--no-owner', '--no-privileges']),
      '--exit-on-error',
      `--jobs=${jobs}`,
      '--no-password',
      `--dbname=${connection.url}`,
      dumpPath,
    ],
    { env: { ...env, ...connection.env, PGAPPNAME: 'preflight-verify' } },
  );
}
