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
    if (name === 'preflight_backup_failures_total') {
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

async function pushToGateway(url: string, target: string, update: MetricsUpdate): Promise<void> {
  const values: Partial<Record<BackupMetricName, number>> = { ...update.set };
  const response = await fetch(`${url.replace(/\/+$/, '')}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  const previous = response.ok
    ? readMetricValue(await response.text(), 'preflight_backup_failures_total', target)
    : undefined;
  // the counter exists from the first run (0), so alerts and the metric inventory find it before any failure
  values.preflight_backup_failures_total = (previous ?? 0) + (update.incrementFailures ? 1 : 0);
  const gateway = new Pushgateway(url, { timeout: 10_000 }, buildRegistry(target, values));
  // pushAdd (POST) replaces only the metrics pushed now, keeping the others of the same target
  await gateway.pushAdd({ jobName: PUSH_JOB, groupings: { target } });
}

async function writeTextfile(dir: string, target: string, update: MetricsUpdate): Promise<string> {
  const path = join(dir, `preflight_backup_${target.replace(/[^A-Za-z0-9_-]/g, '_')}.prom`);
  const previous = await readFile(path, 'utf8').catch(() => '');
  const values = { ...(await readExisting(previous, target)), ...update.set };
  if (update.incrementFailures)
    values.preflight_backup_failures_total = (values.preflight_backup_failures_total ?? 0) + 1;
  else values.preflight_backup_failures_total ??= 0;
  const text = await buildRegistry(target, values).metrics();
  await mkdir(dir, { recursive: true });
  // node-exporter may read at any moment: write beside and rename
  await writeFile(`${path}.${process.pid}.tmp`, text);
  await rename(`${path}.${process.pid}.tmp`, path);
  return path;
}

/** Records metrics; a monitoring failure is returned (and warned about by the caller), never thrown over the backup's outcome. */
export async function recordBackupMetrics(
  settings: MetricsSettings,
  target: string,
  update: MetricsUpdate,
): Promise<MetricsWriteResult> {
  try {
    if (settings.pushgatewayUrl) {
      await pushToGateway(settings.pushgatewayUrl, target, update);
      return { destination: redactUrl(settings.pushgatewayUrl) };
    }
    if (settings.textfileDir)
      return { destination: await writeTextfile(settings.textfileDir, target, update) };
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
