/** WAL metrics on a real Pushgateway: their own job, a failure counter that keeps counting, backup metrics untouched. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushgatewayProcess, startPushgateway } from '../fixtures/support.js';
import { readMetricValue, recordBackupMetrics, recordWalMetrics } from '../metrics.js';

describe('WAL metrics on a Pushgateway', () => {
  let gateway: PushgatewayProcess;
  beforeAll(async () => {
    gateway = await startPushgateway();
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('pushes under job preflight_wal, counts failures across pushes and leaves the backup counter alone', async () => {
    const settings = { pushgatewayUrl: gateway.url };
    await recordBackupMetrics(settings, 'prod', { incrementFailures: true });
    expect((await recordWalMetrics(settings, 'prod', { incrementFailures: true })).error).toBeUndefined();
    await recordWalMetrics(settings, 'prod', { incrementFailures: true });
    await recordWalMetrics(settings, 'prod', {
      set: {
        preflight_wal_last_archived_timestamp_seconds: 1_700_000_000,
        preflight_wal_archive_lag_segments: 3,
      },
    });
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(readMetricValue(text, 'preflight_wal_archive_failures_total', 'prod')).toBe(2);
    expect(readMetricValue(text, 'preflight_backup_failures_total', 'prod')).toBe(1);
    expect(readMetricValue(text, 'preflight_wal_archive_lag_segments', 'prod')).toBe(3);
    expect(readMetricValue(text, 'preflight_wal_last_archived_timestamp_seconds', 'prod')).toBe(
      1_700_000_000,
    );
    expect(text).toMatch(/preflight_wal_archive_lag_segments\{[^}]*job="preflight_wal"[^}]*\} 3/);
  });
});
