import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthMonitoringApp } from '../infra/app.js';
import { validateConfig } from '../src/core/config/load.js';
import { defaultPlatform } from '../src/core/platform/defaults.js';
import { resolveTarget } from '../src/core/target.js';
import { buildAlerts } from './alerts.js';
import { buildDashboards } from './dashboards.js';
import { createPlatformRegistry, type MetricsServer, startMetricsServer } from './fixtures/metrics-server.js';
import { checkInventory, collectQueryUses } from './inventory.js';
import { getMetricCatalog } from './metrics.js';
import { createProfileForTarget, createTestProfile, type MonitoringProfile } from './profile.js';
import { checkRuleFiles } from './promtool.js';
import { renderPrometheusRules } from './rules.js';
import { scrapeEndpoints } from './scrape.js';
import { buildSloRecordingRules } from './slo.js';
import { runInventory } from './test-run.js';

const work = mkdtempSync(join(tmpdir(), 'preflight-monitor-profile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = defaultPlatform.metrics;
/** A platform that exports its HTTP and pool metrics under other names, and serves search and health elsewhere. */
const renamed = {
  httpRequests: 'shop_http_requests_total',
  httpDuration: 'shop_http_request_duration_seconds',
  poolUsagePercent: 'shop_pool_usage_percent',
};

const config = validateConfig({
  targets: {
    shop: {
      baseUrl: 'https://api.shop.example.com',
      environment: 'shop',
      platform: {
        apiPrefix: '/v2',
        metrics: renamed,
        routes: { search: { path: '/find' }, health: { path: '/livez' }, ready: { path: '/readyz' } },
      },
    },
  },
  monitoring: { environments: ['shop'], alertEmail: 'oncall@example.com' },
});
const profile = createProfileForTarget(config.targets.shop!, config);

function collectUses(p: MonitoringProfile) {
  const recording = buildSloRecordingRules(p);
  const uses = collectQueryUses(
    buildDashboards(p, { datasourceUid: 'ds', uidPrefix: 'p' }),
    buildAlerts(p),
    recording,
  );
  return { recording, uses, text: uses.map((u) => u.expr).join('\n') };
}

describe('monitoring reads metric names and routes from the target platform profile', () => {
  it('dashboards, alerts and recording rules use the renamed metrics and never the spec names', () => {
    const { text } = collectUses(profile);
    for (const name of Object.values(renamed)) expect(text).toContain(name);
    expect(text).not.toContain(spec.httpRequests);
    expect(text).not.toContain(spec.httpDuration);
    expect(text).not.toContain(spec.poolUsagePercent);
    // metrics the target did not rename keep the spec names
    expect(text).toContain(spec.loginAttempts);
    const saturated = buildAlerts(profile).find((a) => a.name === 'DbPoolSaturated')!;
    expect(saturated.expr).toContain(`${renamed.poolUsagePercent}{environment="shop"}`);
    // the search panel filters on the target's search route
    expect(text).toContain('endpoint=~".*/find"');
    expect(text).not.toContain('endpoint=~".*/search"');
  });

  it("monitor test's inventory checks a live platform exporting the renamed metrics by their new names", async () => {
    const rename = {
      [spec.httpRequests]: renamed.httpRequests,
      [spec.httpDuration]: renamed.httpDuration,
      [spec.poolUsagePercent]: renamed.poolUsagePercent,
    };
    const complete = await startMetricsServer(createPlatformRegistry({ rename }));
    const partial = await startMetricsServer(
      createPlatformRegistry({ rename, omit: [spec.poolUsagePercent] }),
    );
    const targetOn = (server: MetricsServer) => {
      const local = validateConfig({
        targets: {
          'shop-local': {
            baseUrl: new URL(server.url).origin,
            environment: 'shop',
            platform: { apiPrefix: '', metrics: renamed, routes: { metrics: { path: '/metrics' } } },
          },
        },
      });
      return { local, target: resolveTarget(local, 'shop-local', { env: {} }) };
    };
    try {
      const good = targetOn(complete);
      const { result, scrapeFailures } = await runInventory({ config: good.local, env: {} }, good.target);
      expect(scrapeFailures).toEqual([]);
      expect(result.sources).toEqual(['platform']);
      expect(result.problems).toEqual([]);
      const bad = targetOn(partial);
      const missing = await runInventory({ config: bad.local, env: {} }, bad.target);
      expect(missing.result.ok).toBe(false);
      // the catalog built from the profile knows the renamed metric is the platform's
      expect(missing.result.problems.map((p) => p.message)).toContain(
        `alert "DbPoolSaturated" uses ${renamed.poolUsagePercent}, which the platform source does not export`,
      );
      // the spec's names are wrong for this platform: the inventory of the spec profile fails on them
      const { exported } = await scrapeEndpoints([{ source: 'platform', url: complete.url }]);
      const specProfile = createTestProfile();
      const theirs = collectUses(specProfile);
      const wrong = checkInventory(
        theirs.uses,
        exported,
        theirs.recording,
        getMetricCatalog(specProfile.platform.metrics),
      );
      expect(wrong.problems.map((p) => p.metric)).toContain(spec.poolUsagePercent);
    } finally {
      await complete.close();
      await partial.close();
    }
  });

  it('the rule file for the renamed target passes promtool check rules', async () => {
    const file = join(work, 'shop.rules.yml');
    writeFileSync(file, renderPrometheusRules(profile));
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`${renamed.httpRequests}{environment="shop",status_code=~"5.."}`);
    expect(text).not.toContain(spec.httpRequests);
    const result = await checkRuleFiles([file]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('the synthesized Grafana stack queries the renamed metrics and probes the target health routes', () => {
    const [stack] = synthMonitoringApp(config, { outdir: join(work, 'cdktf.out') });
    const json = readFileSync(stack!.file, 'utf8');
    expect(json).toContain(renamed.httpRequests);
    expect(json).not.toContain(spec.httpRequests);
    const checks = Object.values(
      (JSON.parse(json) as { resource: Record<string, Record<string, { target: string }>> }).resource
        .grafana_synthetic_monitoring_check!,
    ).map((c) => c.target);
    expect(checks.sort()).toEqual([
      'https://api.shop.example.com/v2/livez',
      'https://api.shop.example.com/v2/readyz',
    ]);
  });
});
