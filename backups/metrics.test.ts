import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  type PushgatewayProcess,
  removeTempDirs,
  startPushgateway,
} from './fixtures/support.js';
import { metricHelp, readMetricValue, recordBackupMetrics } from './metrics.js';

describe('backup metrics', () => {
  let gateway: PushgatewayProcess;
  beforeAll(async () => {
    gateway = await startPushgateway();
  });
  afterAll(async () => {
    await gateway?.stop();
    removeTempDirs();
  });

  const scrape = async () => (await fetch(`${gateway.url}/metrics`)).text();

  it('pushes to a real Pushgateway labelled by target, keeps other metrics and counts failures across runs', async () => {
    const settings = { pushgatewayUrl: gateway.url };
    const ok = await recordBackupMetrics(settings, 'staging', {
      set: {
        preflight_backup_last_success_timestamp_seconds: 1_764_039_600,
        preflight_backup_duration_seconds: 42.5,
        preflight_backup_size_bytes: 123_456,
      },
    });
    expect(ok.error).toBeUndefined();
    expect(ok.destination).toContain(gateway.url);
    await recordBackupMetrics(settings, 'staging', { incrementFailures: true });
    await recordBackupMetrics(settings, 'staging', { incrementFailures: true });
    await recordBackupMetrics(settings, 'staging', {
      set: {
        preflight_backup_verify_last_success_timestamp_seconds: 1_764_043_200,
        preflight_backup_restore_duration_seconds: 12,
      },
    });
    await recordBackupMetrics(settings, 'production', { incrementFailures: true });
    const text = await scrape();
    expect(readMetricValue(text, 'preflight_backup_last_success_timestamp_seconds', 'staging')).toBe(
      1_764_039_600,
    );
    expect(readMetricValue(text, 'preflight_backup_duration_seconds', 'staging')).toBe(42.5);
    expect(readMetricValue(text, 'preflight_backup_size_bytes', 'staging')).toBe(123_456);
    expect(readMetricValue(text, 'preflight_backup_failures_total', 'staging')).toBe(2);
    expect(readMetricValue(text, 'preflight_backup_verify_last_success_timestamp_seconds', 'staging')).toBe(
      1_764_043_200,
    );
    expect(readMetricValue(text, 'preflight_backup_restore_duration_seconds', 'staging')).toBe(12);
    expect(readMetricValue(text, 'preflight_backup_failures_total', 'production')).toBe(1);
    expect(text).toMatch(
      /preflight_backup_failures_total\{[^}]*job="preflight_backup"[^}]*target="staging"[^}]*\} 2/,
    );
  });

  it('reports an unreachable Pushgateway instead of throwing over the backup outcome', async () => {
    const result = await recordBackupMetrics({ pushgatewayUrl: 'http://127.0.0.1:9/' }, 'staging', {
      incrementFailures: true,
    });
    expect(result.error).toBeTruthy();
  });

  it('writes a node-exporter textfile with HELP and TYPE lines, accumulating failures', async () => {
    const dir = makeTempDir('textfile');
    await recordBackupMetrics({ textfileDir: dir }, 'staging', { set: { preflight_backup_size_bytes: 10 } });
    await recordBackupMetrics({ textfileDir: dir }, 'staging', { incrementFailures: true });
    await recordBackupMetrics({ textfileDir: dir }, 'staging', { incrementFailures: true });
    const text = readFileSync(join(dir, 'preflight_backup_staging.prom'), 'utf8');
    expect(readMetricValue(text, 'preflight_backup_size_bytes', 'staging')).toBe(10);
    expect(readMetricValue(text, 'preflight_backup_failures_total', 'staging')).toBe(2);
    expect(text).toContain('# TYPE preflight_backup_failures_total counter');
    expect(text).toContain(`# HELP preflight_backup_size_bytes ${metricHelp.preflight_backup_size_bytes}`);
  });
});
