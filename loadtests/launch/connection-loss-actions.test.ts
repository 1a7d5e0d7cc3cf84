// The connection-loss actions against a real PostgreSQL and a real PgBouncer (transaction mode): terminating the
// sessions of one role or application name only, and dropping every pooler connection (KILL, then RESUME).
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgbouncer, type Pgbouncer } from '../../monitoring/pool/fixtures/pgbouncer.js';
import { type Cluster, createCluster } from '../../src/core/pg/cluster.js';
import { createSessions, isAlive } from '../../test/helpers/pg-sessions.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { restartPoolerConnections, terminateAppSessions } from './connection-loss.js';

const password = 'cl-actions-pw';
const adminPassword = 'cl-bouncer-admin';

let cluster: Cluster;
let bouncer: Pgbouncer;

beforeAll(async () => {
  const dir = makeTempDir('preflight-cl-actions-');
  cluster = await createCluster({ dataDir: join(dir, 'data'), password });
  const admin = new pg.Client(cluster.url());
  await admin.connect();
  await admin.query(`CREATE ROLE api_role LOGIN PASSWORD '${password}'`);
  await admin.end();
  bouncer = await createPgbouncer({
    dir: join(dir, 'pgbouncer'),
    server: { host: cluster.host, port: cluster.port, database: 'postgres' },
    users: { postgres: password, pgb_admin: adminPassword },
    adminUser: 'pgb_admin',
    poolSize: 2,
  });
}, 120_000);

afterAll(async () => {
  await closeAll();
  await bouncer?.stop();
  await cluster?.destroy();
});

const { open, closeAll } = createSessions();

describe('connection-loss actions', () => {
  it("terminates the sessions of the role or the application name, and nobody else's", async () => {
    const byRole = await open(cluster.url('postgres', 'api_role', password));
    const byName = await open(cluster.url(), 'instainstru-api');
    const bystander = await open(cluster.url(), 'someone-else');
    const terminated = await terminateAppSessions(cluster.url(), {
      role: 'api_role',
      applicationName: 'instainstru-api',
    });
    expect(terminated).toBe(2);
    expect(await isAlive(byRole)).toBe(false);
    expect(await isAlive(byName)).toBe(false);
    expect(await isAlive(bystander)).toBe(true);
    // an empty role matches no session by role
    const again = await open(cluster.url('postgres', 'api_role', password));
    expect(await terminateAppSessions(cluster.url(), { role: '', applicationName: 'instainstru-api' })).toBe(
      0,
    );
    expect(await isAlive(again)).toBe(true);
  });

  it("with neither role nor application name set, terminates every client session of the database but preflight's own", async () => {
    const admin = await open(cluster.url());
    await admin.query('CREATE DATABASE other_db');
    const api = await open(cluster.url('postgres', 'api_role', password), 'some-api');
    const unnamed = await open(cluster.url());
    const ours = await open(cluster.url(), 'preflight-sampler');
    const elsewhere = await open(cluster.url('other_db'));
    const terminated = await terminateAppSessions(cluster.url(), { role: '', applicationName: '' });
    // at least the api, the unnamed session and the admin one (the earlier test's live sessions go too)
    expect(terminated).toBeGreaterThanOrEqual(3);
    expect(await isAlive(api)).toBe(false);
    expect(await isAlive(unnamed)).toBe(false);
    expect(await isAlive(admin)).toBe(false);
    expect(await isAlive(ours)).toBe(true);
    expect(await isAlive(elsewhere)).toBe(true);
  });

  it('drops every PgBouncer connection (KILL) and lets new ones in again (RESUME)', async () => {
    const pooled = await open(bouncer.url('postgres'));
    expect(await isAlive(pooled)).toBe(true);
    const databases = await restartPoolerConnections(bouncer.url('pgb_admin', 'pgbouncer'));
    expect(databases).toEqual(['app']);
    expect(await isAlive(pooled)).toBe(false);
    const fresh = await open(bouncer.url('postgres'));
    expect(await isAlive(fresh)).toBe(true);
  });
});
