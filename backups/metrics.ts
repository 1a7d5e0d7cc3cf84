/**
 * Backup metrics for monitoring, labelled by target: pushed to a Prometheus Pushgateway when configured,
 * else written as a node-exporter textfile. preflight_backup_failures_total keeps counting across runs
 * (read back from the gateway or the file before it is incremented).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Pushgateway, Registry } from 'prom-client';
import { parseSamples } from '../src/core/exposition.js';
import { redact, redactUrl } from '../src/core/redact.js';

export const metricHelp = {
  preflight_backup_last_success_timestamp_seconds: 'Unix time of the last successful backup',
  preflight_backup_duration_seconds: 'Duration of the last successful backup',
  preflight_backup_size_bytes: 'Stored size of the last successful backup',
  preflight_backup_failures_total: 'Failed backup runs and verifications',
  preflight_backup_verify_last_success_timestamp_seconds:
    'Unix time of the last successful restore verification',
  preflight_backup_restore_duration_seconds:
    'Restore duration (pg_restore) of the last successful verification',
  preflight_wal_last_archived_timestamp_seconds: 'Unix time of the last WAL file archived',
  preflight_wal_archive_failures_total: 'Failed WAL archive attempts (wal push and the archiver)',
  preflight_wal_archive_lag_segments: 'WAL files ready to archive but not yet stored',
  preflight_pitr_drill_last_success_timestamp_seconds:
    'Unix time of the last successful point-in-time recovery drill',
} as const;

export type BackupMetricName = keyof typeof metricHelp;

export interface MetricsSettings {
  pushgatewayUrl?: string;
  textfileDir?: string;
}

export interface MetricsUpdate {
  set?: Partial<Record<Exclude<BackupMetricName, 'preflight_backup_failures_total'>, number>>;
  incrementFailures?: boolean;
}

export interface MetricsWriteResult {
  destination: string | null;
  error?: string;
}

export const PUSH_JOB = 'preflight_backup';
/** WAL archiving metrics go to their own job (and textfile), so a push per segment never touches the backup ones. */
export const WAL_PUSH_JOB = 'preflight_wal';

type FailureCounter = 'preflight_backup_failures_total' | 'preflight_wal_archive_failures_total';

interface MetricFamily {
  job: string;
  failures: FailureCounter;
}

const backupFamily: MetricFamily = { job: PUSH_JOB, failures: 'preflight_backup_failures_total' };
const walFamily: MetricFamily = { job: WAL_PUSH_JOB, failures: 'preflight_wal_archive_failures_total' };

export interface WalMetricsUpdate {
  set?: Partial<
    Record<'preflight_wal_last_archived_timestamp_seconds' | 'preflight_wal_archive_lag_segments', number>
  >;
  incrementFailures?: boolean;
}

/** Reads `name{...target="t"...} value` from exposition text (core's one exposition reader). */
export function readMetricValue(text: string, name: string, target: string): number | undefined {
  return parseSamples(text).find(
    (s) => s.name === name && s.labels.target === target && Number.isFinite(s.value),
  )?.value;
}

function buildRegistry(target: string, values: Partial<Record<BackupMetricName, number>>): Registry {
  const registry = new Registry();
  for (const [name, value] of Object.entries(values) as Array<[BackupMetricName, number | undefined]>) {
    if (value === undefined) continue;
    if (name.endsWith('_total')) {
      const counter = new Counter({
        name,
        help: metricHelp[name],
        labelNames: ['target'],
        registers: [registry],
      });
      counter.inc({ target }, value);
      if (value === 0) counter.inc({ target }, 0);
    } else {
      new Gauge({ name, help: metricHelp[name], labelNames: ['target'], registers: [registry] }).set(
        { target },
        value,
      );
    }
  }
  return registry;
}

async function readExisting(
  text: string,
  target: string,
): Promise<Partial<Record<BackupMetricName, number>>> {
  const out: Partial<Record<BackupMetricName, number>> = {};
  for (const name of Object.keys(metricHelp) as BackupMetricName[]) {
    const value = readMetricValue(text, name, target);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function pushToGateway(
  url: string,
  target: string,
  update: MetricsUpdate,
  family: MetricFamily,
): Promise<void> {
  const values: Partial<Record<BackupMetricName, number>> = { ...update.set };
  const response = await fetch(`${url.replace(/\/+$/, '')}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  const previous = response.ok ? readMetricValue(await response.text(), family.failures, target) : undefined;
  // the counter exists from the first run (0), so alerts and the metric inventory find it before any failure
  values[family.failures] = (previous ?? 0) + (update.incrementFailures ? 1 : 0);
  const gateway = new Pushgateway(url, { timeout: 10_000 }, buildRegistry(target, values));
  // pushAdd (POST) replaces only the metrics pushed now, keeping the others of the same target
  await gateway.pushAdd({ jobName: family.job, groupings: { target } });
}

async function writeTextfile(
  dir: string,
  target: string,
  update: MetricsUpdate,
  family: MetricFamily,
): Promise<string> {
  const path = join(dir, `${family.job}_${target.replace(/[^A-Za-z0-9_-]/g, '_')}.prom`);
  const previous = await readFile(path, 'utf8').catch(() => '');
  const values = { ...(await readExisting(previous, target)), ...update.set };
  if (update.incrementFailures) values[family.failures] = (values[family.failures] ?? 0) + 1;
  else values[family.failures] ??= 0;
  const text = await buildRegistry(target, values).metrics();
  await mkdir(dir, { recursive: true });
  // node-exporter may read at any moment: write beside and rename
  await writeFile(`${path}.${process.pid}.tmp`, text);
  await rename(`${path}.${process.pid}.tmp`, path);
  return path;
}

/** Records metrics; a monitoring failure is returned (and warned about by the caller), never thrown over the backup's outcome. */
export function recordBackupMetrics(
  settings: MetricsSettings,
  target: string,
  update: MetricsUpdate,
): Promise<MetricsWriteResult> {
  return recordFamilyMetrics(settings, target, update, backupFamily);
}

/** WAL archiving metrics (job preflight_wal, textfile preflight_wal_<target>.prom), same rules as the backup ones. */
export function recordWalMetrics(
  settings: MetricsSettings,
  target: string,
  update: WalMetricsUpdate,
): Promise<MetricsWriteResult> {
  return recordFamilyMetrics(settings, target, update, walFamily);
}

async function recordFamilyMetrics(
  settings: MetricsSettings,
  target: string,
  update: MetricsUpdate,
  family: MetricFamily,
): Promise<MetricsWriteResult> {
  try {
    if (settings.pushgatewayUrl) {
      await pushToGateway(settings.pushgatewayUrl, target, update, family);
      return { destination: redactUrl(settings.pushgatewayUrl) };
    }
    if (settings.textfileDir)
      return { destination: await writeTextfile(settings.textfileDir, target, update, family) };
    return { destination: null };
  } catch (error) {
    return {
      destination: settings.pushgatewayUrl
        ? redactUrl(settings.pushgatewayUrl)
        : (settings.textfileDir ?? null),
      error: redact((error as Error).message ?? String(error)),
    };
  }
}
