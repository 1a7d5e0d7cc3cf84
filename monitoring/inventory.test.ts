import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlerts } from './alerts.js';
import { buildDashboards } from './dashboards.js';
import {
  createBackupRegistry,
  createPlatformRegistry,
  createPoolRegistry,
  createSupabaseRegistry,
  type MetricsServer,
  startMetricsServer,
} from './fixtures/metrics-server.js';
import { checkInventory, collectQueryUses } from './inventory.js';
import { getMetricCatalog } from './metrics.js';
import { createTestProfile } from './profile.js';
import { scrapeEndpoints } from './scrape.js';
import { buildSloRecordingRules } from './slo.js';

const profile = createTestProfile();
const catalog = getMetricCatalog(profile.platform.metrics);
const recording = buildSloRecordingRules(profile);
const uses = collectQueryUses(
  buildDashboards(profile, { datasourceUid: 'ds', uidPrefix: 'p' }),
  buildAlerts(profile),
  recording,
);

describe('metric inventory against live prom-client servers', () => {
  const servers: MetricsServer[] = [];
  let platform: MetricsServer;
  let supabase: MetricsServer;
  let pushgateway: MetricsServer;
  let pool: MetricsServer;

  beforeAll(async () => {
    platform = await startMetricsServer(createPlatformRegistry(), {
      username: 'metrics',
      password: 'test-metrics-secret',
    });
    supabase = await startMetricsServer(createSupabaseRegistry(), {
      username: 'service_role',
      password: 'test-service-role',
    });
    pushgateway = await startMetricsServer(createBackupRegistry());
    pool = await startMetricsServer(createPoolRegistry());
    servers.push(platform, supabase, pushgateway, pool);
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  async function scrapeAll(platformServer = platform) {
    return scrapeEndpoints([
      { source: 'platform', url: platformServer.url, username: 'metrics', password: 'test-metrics-secret' },
      { source: 'supabase', url: supabase.url, username: 'service_role', password: 'test-service-role' },
      { source: 'pushgateway', url: pushgateway.url },
      { source: 'pool', url: pool.url },
    ]);
  }

  it('accepts every panel, alert and recording rule when all four sources export their metrics', async () => {
    const { exported, failures } = await scrapeAll();
    expect(failures).toEqual([]);
    const result = checkInventory(uses, exported, recording, catalog);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.sources.sort()).toEqual(['platform', 'pool', 'pushgateway', 'supabase']);
    // only the k6 panels cannot be checked by scraping
    expect(new Set(result.unverified.map((u) => u.metric.slice(0, 3)))).toEqual(new Set(['k6_']));
  });

  it('fails naming the panel that references a metric the target does not export (planted)', async () => {
    const { exported } = await scrapeAll();
    const planted = [
      ...uses,
      {
        where: 'panel "Cache hit ratio" of dashboard "Planted"',
        expr: 'sum(rate(instainstru_cache_hits_total[5m]))',
      },
    ];
    const result = checkInventory(planted, exported, recording, catalog);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toContain('panel "Cache hit ratio" of dashboard "Planted"');
    expect(result.problems[0]!.message).toContain('instainstru_cache_hits_total');
  });

  it('names the alert whose metric disappeared from the target', async () => {
    const server = await startMetricsServer(
      createPlatformRegistry({ omit: ['instainstru_db_pool_usage_percent'] }),
      {
        username: 'metrics',
        password: 'test-metrics-secret',
      },
    );
    try {
      const { exported } = await scrapeAll(server);
      const result = checkInventory(uses, exported, recording, catalog);
      expect(result.ok).toBe(false);
      expect(result.problems.map((p) => p.where)).toContain('alert "DbPoolSaturated"');
    } finally {
      await server.close();
    }
  });

  it('catches a label the target never sets and a latency bucket it does not have', async () => {
    const { exported } = await scrapeAll();
    const result = checkInventory(
      [
        {
          where: 'alert "Planted"',
          expr: 'sum by (route) (rate(instainstru_http_requests_total{handler="/x"}[5m]))',
        },
      ],
      exported,
      recording,
      catalog,
    );
    expect(result.problems.map((p) => p.label).sort()).toEqual(['handler', 'route']);
    const noBucket = await startMetricsServer(createPlatformRegistry({ buckets: [0.1, 0.3, 1] }), {
      username: 'metrics',
      password: 'test-metrics-secret',
    });
    try {
      const scraped = await scrapeAll(noBucket);
      const latency = checkInventory(uses, scraped.exported, recording, catalog);
      expect(
        latency.problems.some(
          (p) => p.where.startsWith('recording rule "slo:latency_errors') && p.label === 'le',
        ),
      ).toBe(true);
    } finally {
      await noBucket.close();
    }
  });

  it('notes the PITR metrics as not pushed yet on a target without WAL archiving, and still checks their labels once pushed', async () => {
    const withoutPitr = await startMetricsServer(createBackupRegistry({ pitr: false }));
    try {
      const { exported } = await scrapeEndpoints([{ source: 'pushgateway', url: withoutPitr.url }]);
      const pitrUses = uses.filter((u) => /preflight_(wal|pitr)_/.test(u.expr));
      expect(pitrUses.map((u) => u.where)).toEqual(
        expect.arrayContaining(['alert "WalArchiveStalled"', 'alert "PitrDrillStale"']),
      );
      const result = checkInventory(pitrUses, exported, recording, catalog);
      expect(result.problems).toEqual([]);
      expect(new Set(result.unverified.map((u) => u.metric))).toEqual(
        new Set([
          'preflight_wal_last_archived_timestamp_seconds',
          'preflight_wal_archive_failures_total',
          'preflight_wal_archive_lag_segments',
          'preflight_pitr_drill_last_success_timestamp_seconds',
        ]),
      );
      expect(result.unverified[0]!.reason).toContain('not pushed yet');
    } finally {
      await withoutPitr.close();
    }
    const pushed = await scrapeEndpoints([{ source: 'pushgateway', url: pushgateway.url }]);
    const planted = checkInventory(
      [{ where: 'alert "Planted"', expr: 'max by (instance_name) (preflight_wal_archive_lag_segments)' }],
      pushed.exported,
      recording,
      catalog,
    );
    expect(planted.problems.map((p) => p.label)).toEqual(['instance_name']);
  });

  it('reports a scrape that is refused (wrong basic auth) as a failure of that source', async () => {
    const outcome = await scrapeEndpoints([
      { source: 'platform', url: platform.url, username: 'metrics', password: 'wrong' },
    ]);
    expect(outcome.exported.platform).toBeUndefined();
    expect(outcome.failures[0]!.message).toContain('HTTP 401');
  });
});

/** Metrics the platform's old Terraform alerts used although the backend never exports them (platform.md). */
const deadPlatformMetrics = [
  'instainstru_cache_hits_total',
  'instainstru_db_pool_connections_used',
  'instainstru_db_pool_connections_max',
];

describe('the platform metrics that never existed', () => {
  it('no panel, alert or recording rule uses the dead metrics of the old Terraform alerts', () => {
    const used = uses.map((u) => u.expr).join('\n');
    for (const dead of deadPlatformMetrics) expect(used).not.toContain(dead);
  });
});

describe('the backups dashboard', () => {
  it('has a Point-in-time recovery row with a panel on each WAL archive and drill metric', () => {
    const backups = buildDashboards(profile, { datasourceUid: 'ds', uidPrefix: 'p' }).find(
      (d) => d.key === 'backups',
    );
    const panels = backups?.dashboard.panels ?? [];
    const row = panels.findIndex((p) => p.type === 'row' && p.title === 'Point-in-time recovery');
    expect(row).toBeGreaterThan(-1);
    const exprs = panels
      .slice(row + 1)
      .flatMap((p) => ((p as { targets?: Array<{ expr?: string }> }).targets ?? []).map((t) => t.expr ?? ''));
    for (const metric of [
      'preflight_wal_last_archived_timestamp_seconds',
      'preflight_wal_archive_lag_segments',
      'preflight_wal_archive_failures_total',
      'preflight_pitr_drill_last_success_timestamp_seconds',
    ]) {
      expect(
        exprs.filter((e) => e.includes(`${metric}{environment="$environment",target=~"$target"}`)),
      ).toHaveLength(1);
    }
  });
});
