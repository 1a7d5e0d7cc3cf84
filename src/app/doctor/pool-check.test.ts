// Pool size advice against a real PostgreSQL (max_connections 30, 3 reserved) and a real PgBouncer's SHOW CONFIG.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgbouncer, type Pgbouncer } from '../../../monitoring/pool/fixtures/pgbouncer.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { type Cluster, createCluster } from '../../core/pg/cluster.js';
import { advisePoolSizes, checkPoolSizes } from './pool-check.js';

const password = 'doctor-pool-pw';
const adminPassword = 'doctor-bouncer-admin';

describe('doctor pool size advice (real PostgreSQL and PgBouncer)', () => {
  let cluster: Cluster;
  let bouncer: Pgbouncer;
  beforeAll(async () => {
    const dir = makeTempDir('preflight-doctor-pool-');
    cluster = await createCluster({
      dataDir: join(dir, 'data'),
      password,
      settings: { max_connections: 30, superuser_reserved_connections: 3 },
    });
    bouncer = await createPgbouncer({
      dir: join(dir, 'pgbouncer'),
      server: { host: cluster.host, port: cluster.port, database: 'postgres' },
      users: { postgres: password, pgb_admin: adminPassword },
      adminUser: 'pgb_admin',
      poolSize: 4,
    });
  }, 120_000);
  afterAll(async () => {
    await bouncer?.stop();
    await cluster?.destroy();
  });

  it('reads max_connections and the reserved slots, and advises pools with 20% headroom', async () => {
    const check = await checkPoolSizes({ targetName: 'stage', databaseUrl: cluster.url() });
    expect(check?.status).toBe('ok');
    expect(check?.detail).toContain(
      'max_connections 30 - 3 reserved -> limit 27 (max_connections - reserved), 21 with 20% headroom',
    );
    expect(check?.detail).toContain(
      'pool_size + max_overflow per worker <= 21 for 1, 10 for 2, 5 for 4, 2 for 8 worker(s)',
    );
    expect(check?.detail).toContain("the spec's 8 + 8 fits 1 worker(s)");
    expect(check?.detail).not.toContain(password);
  });

  it("adds PgBouncer's SHOW CONFIG: in transaction mode the API pools are bounded by max_client_conn", async () => {
    const check = await checkPoolSizes({
      targetName: 'stage',
      databaseUrl: cluster.url(),
      poolerAdminUrl: bouncer.url('pgb_admin', 'pgbouncer'),
    });
    expect(check?.status).toBe('ok');
    expect(check?.detail).toContain(
      'PgBouncer transaction mode: max_client_conn 100, default_pool_size 4, max_db_connections unlimited -> limit 100 (PgBouncer max_client_conn), 80 with 20% headroom',
    );
  });

  it('warns naming the URL problem when the pooler cannot be read (no password shown)', async () => {
    const check = await checkPoolSizes({
      targetName: 'stage',
      databaseUrl: cluster.url(),
      poolerAdminUrl: bouncer.url('pgb_admin', 'pgbouncer').replace(adminPassword, 'wrong-secret-pw'),
      timeoutMs: 3000,
    });
    expect(check?.status).toBe('warn');
    expect(check?.detail).toMatch(/^cannot read the connection limits: /);
    expect(check?.detail).not.toContain('wrong-secret-pw');
  });
});

describe('pool size advice (pure)', () => {
  it('session mode is bounded by default_pool_size and max_db_connections; no database URL, no check', async () => {
    const session = advisePoolSizes(
      { maxConnections: 100, reserved: 3 },
      { poolMode: 'session', defaultPoolSize: 20, maxClientConn: 200, maxDbConnections: 15 },
    );
    expect([session.limit, session.limitedBy, session.budget]).toEqual([
      15,
      'PgBouncer max_db_connections',
      12,
    ]);
    expect(session.specPoolWorkers).toBe(0);
    const small = await checkPoolSizes({ targetName: 'x', databaseUrl: undefined });
    expect(small).toBeUndefined();
  });
});
