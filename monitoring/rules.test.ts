import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PreflightError } from '../src/core/errors.js';
import { buildAlerts } from './alerts.js';
import { createTestProfile } from './profile.js';
import { checkRuleFiles, checkRuleTestCoverage, getRuleTestsDir, runRuleTests } from './promtool.js';
import { buildGrafanaRuleGroups, buildPrometheusRuleFile, renderPrometheusRules } from './rules.js';

const work = mkdtempSync(join(tmpdir(), 'preflight-rules-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('alert definitions', () => {
  it('defines every required alert once, each with PromQL, threshold, for, severity, summary and runbook', () => {
    const alerts = buildAlerts(createTestProfile());
    const names = alerts.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const required of [
      'HighServerErrorRatio',
      'LatencyP95OverSlo',
      'DbPoolSaturated',
      'DbConnectionsNearMax',
      'BackupTooOld',
      'RestoreVerificationStale',
      'RateLimitRejectionSpike',
      'ScrapeTargetDown',
      'SloAvailabilityBurnRatePage',
      'SloAvailabilityBurnRateTicket',
      'SloLatencyBurnRatePage',
      'SloLatencyBurnRateTicket',
      'WalArchiveStalled',
      'WalArchiveLagGrowing',
      'WalArchiveFailing',
      'PitrDrillStale',
    ]) {
      expect(names).toContain(required);
    }
    for (const alert of alerts) {
      expect(alert.expr).not.toBe('');
      expect(alert.summary).not.toBe('');
      expect(alert.runbookUrl).toMatch(/^https:\/\/.+#[a-z0-9]+$/);
      expect(['critical', 'warning']).toContain(alert.severity);
    }
    expect(alerts.find((a) => a.name === 'DbPoolSaturated')).toMatchObject({ threshold: 90, for: '2m' });
    expect(alerts.find((a) => a.name === 'BackupTooOld')?.threshold).toBe(26 * 3600);
    expect(alerts.find((a) => a.name === 'RestoreVerificationStale')?.threshold).toBe(8 * 86400);
    expect(alerts.find((a) => a.name === 'PitrDrillStale')?.threshold).toBe(8 * 86400);
    expect(alerts.find((a) => a.name === 'WalArchiveStalled')).toMatchObject({
      threshold: 15 * 60,
      emptyWhenHealthy: true,
    });
  });

  it('renders the page burn-rate alert as 1h/5m at 14.4x and 6h/30m at 6x of the budget', () => {
    const file = buildPrometheusRuleFile(createTestProfile());
    const page = file.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SloAvailabilityBurnRatePage');
    expect(page?.expr).toContain(
      'slo:availability_errors:ratio_rate1h > 0.072 and slo:availability_errors:ratio_rate5m > 0.072',
    );
    expect(page?.expr).toContain(
      'slo:availability_errors:ratio_rate6h > 0.03 and slo:availability_errors:ratio_rate30m > 0.03',
    );
    const ticket = file.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SloLatencyBurnRateTicket');
    expect(ticket?.expr).toContain(
      'slo:latency_errors:ratio_rate1d > 0.15 and slo:latency_errors:ratio_rate2h > 0.15',
    );
    expect(ticket?.expr).toContain(
      'slo:latency_errors:ratio_rate3d > 0.05 and slo:latency_errors:ratio_rate6h > 0.05',
    );
  });

  it('renders the same alerts as Grafana rule groups with the recording rules inlined', () => {
    const groups = buildGrafanaRuleGroups(createTestProfile(), 'ds-uid');
    const alerts = groups.flatMap((g) => g.alerts);
    expect(alerts.map((a) => a.name).sort()).toEqual(
      buildAlerts(createTestProfile())
        .map((a) => a.name)
        .sort(),
    );
    const page = alerts.find((a) => a.name === 'SloAvailabilityBurnRatePage')!;
    expect(String(page.data[0]!.model.expr)).not.toContain('slo:');
    expect(page.noDataState).toBe('OK');
    expect(groups.flatMap((g) => g.records)).toHaveLength(14);
  });
});

describe('promtool (real /usr/bin/promtool)', () => {
  it('checks every generated rule file', async () => {
    const file = join(work, 'rules.yml');
    writeFileSync(file, renderPrometheusRules(createTestProfile()));
    const scoped = join(work, 'scoped.yml');
    writeFileSync(
      scoped,
      renderPrometheusRules(createTestProfile({ scopeToEnvironment: true, environment: 'production' })),
    );
    const result = await checkRuleFiles([file, scoped]);
    expect(result.ok).toBe(true);
    expect(result.output).toContain('SUCCESS');
  });

  it('rejects an invalid rule file', async () => {
    const file = join(work, 'broken.yml');
    writeFileSync(
      file,
      'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) >\n',
    );
    const result = await checkRuleFiles([file]);
    expect(result.ok).toBe(false);
  });

  it('passes the unit tests in monitoring/tests/, which cover every alert firing and staying silent', async () => {
    const run = await runRuleTests();
    expect(run.output).toContain('SUCCESS');
    expect(run.ok).toBe(true);
    expect(checkRuleTestCoverage()).toMatchObject({
      ok: true,
      neverFiring: [],
      neverSilent: [],
      untestedRecordings: [],
    });
  });

  it('fails when an alert test is broken', async () => {
    const testsDir = join(work, 'broken-tests');
    cpSync(getRuleTestsDir(), testsDir, { recursive: true });
    const file = join(testsDir, 'database.promtool.yml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '{ severity: critical, environment: test, pool_name: api }',
        '{ severity: warning, environment: test, pool_name: api }',
      ),
    );
    const run = await runRuleTests({ testsDir });
    expect(run.ok).toBe(false);
    expect(run.output).toContain('DbPoolSaturated');
  });

  it('reports an alert without tests', () => {
    const testsDir = join(work, 'partial-tests');
    cpSync(getRuleTestsDir(), testsDir, { recursive: true });
    rmSync(join(testsDir, 'backups.promtool.yml'));
    const coverage = checkRuleTestCoverage(testsDir);
    expect(coverage.ok).toBe(false);
    expect(coverage.neverFiring).toEqual(['BackupTooOld', 'BackupFailing', 'RestoreVerificationStale']);
  });

  it('names the package when promtool is missing', async () => {
    const error = await checkRuleFiles([join(work, 'rules.yml')], {
      promtool: '/nonexistent/bin/promtool',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).code).toBe('E_TOOL_MISSING');
    expect((error as PreflightError).hint).toContain('apt-get install prometheus');
  });
});
