import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExpositionSample, parseSamples } from '../../src/core/exposition.js';
import { type Cluster, createCluster, startCluster } from '../../src/core/pg/cluster.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { buildAlerts } from '../alerts.js';
import { buildDashboards } from '../dashboards.js';
import { checkInventory, collectQueryUses } from '../inventory.js';
import { getMetricCatalog } from '../metrics.js';
import { createTestProfile } from '../profile.js';
import { scrapeEndpoints } from '../scrape.js';
import { buildSloRecordingRules } from '../slo.js';
import { type PoolExporter, startPoolExporter } from './exporter.js';
import { createPgbouncer, type Pgbouncer } from './fixtures/pgbouncer.js';

const password = 'pool-pw-Ω1';
const adminPassword = 'bouncer-admin-pw';
const poolSize = 3;

async function scrape(exporter: PoolExporter): Promise<ExpositionSample[]> {
  const response = await fetch(exporter.url);
  expect(response.status).toBe(200);
  return parseSamples(await response.text());
}

function sampleValue(samples: ExpositionSample[], name: string, labels: Record<string, string> = {}) {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.length ? found.reduce((sum, s) => sum + s.value, 0) : undefined;
}

/** Scrapes until `check` holds (the exporter polls every 200 ms); fails with the last scrape after `timeoutMs`. */
async function scrapeUntil(
  exporter: PoolExporter,
  check: (samples: ExpositionSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<ExpositionSample[]> {
  const deadline = Date.now() + timeoutMs;
  let samples = await scrape(exporter);
  while (!check(samples)) {
    if (Date.now() > deadline)
      throw new Error(
        `condition not met; last scrape:\n${samples.map((s) => `${s.name} ${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 100));
    samples = await scrape(exporter);
  }
  return samples;
}

const up = (source: string) => (s: ExpositionSample[]) =>
  sampleValue(s, 'preflight_pool_source_up', { source }) === 1;
const down = (source: string) => (s: ExpositionSample[]) =>
  sampleValue(s, 'preflight_pool_source_up', { source }) === 0;

describe('monitor pool exporter against a real PgBouncer (transaction mode) and PostgreSQL 15', () => {
  const dir = makeTempDir('preflight-pool-');
  let cluster: Cluster;
  let bouncer: Pgbouncer;
  let exporter: PoolExporter;
  const logs: string[] = [];

  beforeAll(async () => {
    cluster = await createCluster({ dataDir: join(dir, 'data'), password });
    bouncer = await createPgbouncer({
      dir: join(dir, 'pgbouncer'),
      server: { host: cluster.host, port: cluster.port, database: 'postgres' },
      users: { postgres: password, pgb_admin: adminPassword },
      adminUser: 'pgb_admin',
      poolSize,
    });
    exporter = await startPoolExporter({
      listen: { host: '127.0.0.1', port: 0 },
      intervalMs: 200,
      maxBackoffMs: 1000,
      probeTimeoutMs: 5000,
      postgresUrl: cluster.url(),
      pgbouncerAdminUrl: bouncer.url('pgb_admin', 'pgbouncer'),
      poolerUrl: bouncer.url('postgres'),
      log: (m) => logs.push(m),
    });
  }, 120_000);

  afterAll(async () => {
    await exporter?.stop();
    await bouncer?.stop();
    await cluster?.destroy();
  }, 120_000);

  it('exports PostgreSQL, PgBouncer and probe series, all sources up', async () => {
    const samples = await scrapeUntil(
      exporter,
      (s) =>
        up('postgres')(s) &&
        up('pgbouncer')(s) &&
        up('probe')(s) &&
        (sampleValue(s, 'preflight_pool_acquire_seconds_count') ?? 0) >= 2,
    );
    expect(sampleValue(samples, 'preflight_pg_max_connections')).toBe(200);
    expect(sampleValue(samples, 'preflight_pg_superuser_reserved_connections')).toBe(3);
    expect(sampleValue(samples, 'preflight_pool_size', { database: 'app', user: 'postgres' })).toBe(poolSize);
    expect(sampleValue(samples, 'preflight_pg_connections_utilisation_ratio')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'preflight_pool_queries_total', { database: 'app' })).toBeGreaterThan(0);
    expect(
      samples.some((s) => s.name === 'preflight_pg_xact_rollback_total' && s.labels.datname === 'postgres'),
    ).toBe(true);
    // no credential in any label or in the logs
    const text = await (await fetch(exporter.url)).text();
    expect(text).not.toContain(password);
    expect(text).not.toContain(adminPassword);
    expect(logs.join('\n')).not.toContain(password);
    expect(logs.join('\n')).not.toContain(adminPassword);
  }, 60_000);

  it('holding every server connection makes cl_waiting > 0 and the acquire time rise', async () => {
    const before = await scrape(exporter);
    const slowBefore =
      (sampleValue(before, 'preflight_pool_acquire_seconds_count') ?? 0) -
      (sampleValue(before, 'preflight_pool_acquire_seconds_bucket', { le: '1' }) ?? 0);
    const holders = Array.from({ length: poolSize + 2 }, () => new pg.Client(bouncer.url('postgres')));
    try {
      await Promise.all(holders.map((c) => c.connect()));
      const held = Promise.all(holders.map((c) => c.query('SELECT pg_sleep(2.5)')));
      await scrapeUntil(
        exporter,
        (s) => (sampleValue(s, 'preflight_pool_cl_waiting', { database: 'app', user: 'postgres' }) ?? 0) > 0,
        10_000,
      );
      await held;
    } finally {
      await Promise.all(holders.map((c) => c.end().catch(() => undefined)));
    }
    const after = await scrapeUntil(
      exporter,
      (s) =>
        (sampleValue(s, 'preflight_pool_acquire_seconds_count') ?? 0) -
          (sampleValue(s, 'preflight_pool_acquire_seconds_bucket', { le: '1' }) ?? 0) >
        slowBefore,
      10_000,
    );
    expect(sampleValue(after, 'preflight_pool_acquire_seconds_sum')).toBeGreaterThan(
      sampleValue(before, 'preflight_pool_acquire_seconds_sum') ?? 0,
    );
  }, 60_000);

  it('stopping PostgreSQL gives up=0 for it (still serving) and recovers after a restart', async () => {
    await cluster.stop('fast');
    const stopped = await scrapeUntil(exporter, (s) => down('postgres')(s) && down('probe')(s));
    expect(sampleValue(stopped, 'preflight_pg_max_connections')).toBeUndefined();
    expect(sampleValue(stopped, 'preflight_pool_source_up', { source: 'pgbouncer' })).toBe(1);
    expect(sampleValue(stopped, 'preflight_pool_acquire_failures_total') ?? 0).toBeGreaterThan(0);
    cluster = await startCluster({ dataDir: cluster.dataDir, port: cluster.port, password });
    const recovered = await scrapeUntil(exporter, (s) => up('postgres')(s) && up('probe')(s));
    expect(sampleValue(recovered, 'preflight_pg_max_connections')).toBe(200);
    expect(logs.filter((l) => l.startsWith('postgres: down'))).toHaveLength(1);
    expect(logs.filter((l) => l.startsWith('postgres: up'))).toHaveLength(2);
  }, 90_000);

  it('stopping PgBouncer gives up=0 for the pooler source and recovers after a restart', async () => {
    await bouncer.stop();
    // the first failed probe may be cut mid-query (network); the next ones are refused
    const stopped = await scrapeUntil(
      exporter,
      (s) =>
        down('pgbouncer')(s) &&
        down('probe')(s) &&
        (sampleValue(s, 'preflight_pool_acquire_failures_total', { cause: 'refused' }) ?? 0) > 0,
    );
    expect(sampleValue(stopped, 'preflight_pool_cl_active')).toBeUndefined();
    expect(sampleValue(stopped, 'preflight_pool_source_up', { source: 'postgres' })).toBe(1);
    await bouncer.start();
    await scrapeUntil(exporter, (s) => up('pgbouncer')(s) && up('probe')(s));
    expect(logs.filter((l) => l.startsWith('pgbouncer: down'))).toHaveLength(1);
    expect(logs.join('\n')).not.toContain(password);
  }, 90_000);

  it('the Connection pool dashboard and the pool alerts match what the running exporter exports (inventory)', async () => {
    const profile = createTestProfile();
    const recording = buildSloRecordingRules(profile);
    const uses = collectQueryUses(
      buildDashboards(profile, { datasourceUid: 'ds', uidPrefix: 'p' }),
      buildAlerts(profile),
      recording,
    );
    // a client backend besides the exporter's own, so preflight_pg_connections has a sample
    const client = new pg.Client(cluster.url());
    await client.connect();
    let scraped: Awaited<ReturnType<typeof scrapeEndpoints>>;
    try {
      // and the pool series again: the test before stopped PgBouncer, whose series come back with the next poll
      await scrapeUntil(
        exporter,
        (s) =>
          sampleValue(s, 'preflight_pg_connections') !== undefined &&
          sampleValue(s, 'preflight_pool_cl_active') !== undefined &&
          sampleValue(s, 'preflight_pool_usage_ratio') !== undefined,
      );
      scraped = await scrapeEndpoints([{ source: 'pool', url: exporter.url }]);
    } finally {
      await client.end();
    }
    const { exported, failures } = scraped;
    expect(failures).toEqual([]);
    const result = checkInventory(uses, exported, recording, getMetricCatalog(profile.platform.metrics));
    expect(result.problems).toEqual([]);
    const checked = uses.filter((u) => /preflight_(pool|pg)_/.test(u.expr));
    expect(checked.length).toBeGreaterThan(15);
    const unverifiedPool = result.unverified.filter((u) => /^preflight_(pool|pg)_/.test(u.metric));
    expect(unverifiedPool).toEqual([]);
  });
});
