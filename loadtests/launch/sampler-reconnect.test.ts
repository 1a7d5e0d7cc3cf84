// The sampler's database connection against a real PostgreSQL: a terminated session is reopened on a later tick.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/load.js';
import { type Cluster, createCluster } from '../../src/core/pg/cluster.js';
import { resolveTarget } from '../../src/core/target.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { startSampler } from './sampler.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await createCluster({ dataDir: join(makeTempDir('preflight-sampler-'), 'data'), password: 'pw' });
});
afterAll(async () => {
  await cluster?.destroy();
});

async function waitForSamplerPid(admin: pg.Client, other: number | undefined): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'preflight-sampler'",
    );
    const pid = rows.find((r) => r.pid !== other)?.pid;
    if (pid !== undefined) return pid;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no sampler session appeared');
}

describe('resource sampler database connection', () => {
  it('records a terminated session as an error and reconnects on a later tick', async () => {
    const config = validateConfig({
      targets: { local: { baseUrl: 'http://127.0.0.1:9', environment: 'test' } },
    });
    const target = resolveTarget(config, 'local', { env: {} });
    const admin = new pg.Client(cluster.url());
    await admin.connect();
    const sampler = startSampler({ target, databaseUrl: cluster.url(), intervalMs: 150 });
    try {
      const first = await waitForSamplerPid(admin, undefined);
      await admin.query('SELECT pg_terminate_backend($1)', [first]);
      const second = await waitForSamplerPid(admin, first);
      expect(second).not.toBe(first);
      await new Promise((resolve) => setTimeout(resolve, 400));
    } finally {
      const samples = await sampler.stop();
      await admin.end();
      const failed = samples.findIndex((s) => s.errors.some((e) => e.startsWith('pg_stat_activity:')));
      expect(failed).toBeGreaterThan(0);
      expect(samples[failed - 1]?.database?.maxConnections).toBeGreaterThan(0);
      expect(samples.slice(failed + 1).some((s) => s.database !== undefined && s.errors.length === 0)).toBe(
        true,
      );
    }
  });
});
