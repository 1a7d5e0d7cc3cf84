/** The launch checks, in order. Each step is a plain async function returning a verdict; capabilities are imported lazily. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PreflightConfig } from '../../core/config/schema.js';
import { formatBytes, formatDuration, type Output } from '../../core/output.js';
import { registerSecret } from '../../core/redact.js';
import type { ResolvedTarget } from '../../core/target.js';

/** `not-run`: the step ran but its capability could not check (nothing configured, a probe that could not finish). */
export type StepStatus = 'pass' | 'fail' | 'skip' | 'not-run';

export interface StepResult {
  status: StepStatus;
  /** One line for the verdict table; for `not-run`, the reason. */
  summary: string;
  /** The capability's own report, for --json. */
  details?: unknown;
}

export interface StepContext {
  target: ResolvedTarget;
  out: Output;
  /** A scratch directory for this launch run (results, backups). */
  workDir: string;
  config: PreflightConfig;
  env: NodeJS.ProcessEnv;
  /** Aborted by Ctrl-C: a step that can stop early (the load scenarios) does, clean-up included. */
  signal?: AbortSignal;
}

export interface LaunchStep {
  name: string;
  describe: string;
  run(context: StepContext): Promise<StepResult>;
}

const searchCheckStep: LaunchStep = {
  name: 'search-check',
  describe: 'natural-language search precision over the golden query set',
  async run({ target, out }) {
    const { runSearchCheck } = await import('../../search-check/index.js');
    const report = await runSearchCheck(target, { onProgress: (m) => out.info(m) });
    const rate = report.summary.constraintSatisfactionRate;
    const precision = rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
    const summary = `precision ${precision}, zero-result ${(report.summary.zeroResultRate * 100).toFixed(0)}% over ${report.summary.queries} queries${
      report.ok ? '' : `; failing: ${report.summary.failingQueries.slice(0, 3).join(', ')}`
    }`;
    return { status: report.ok ? 'pass' : 'fail', summary, details: report };
  },
};

const securityStep: LaunchStep = {
  name: 'scan',
  describe: 'security probes (OWASP API Top 10), failing on high or critical findings',
  async run({ target, out, workDir }) {
    const { planScan, runScan } = await import('../../../security/scan.js');
    const { applyBaseline, readBaseline, DEFAULT_BASELINE_PATH } = await import(
      '../../../security/baseline.js'
    );
    const { buildReport, countBySeverity } = await import('../../../security/report/model.js');
    const { writeReports } = await import('../../../security/report/write.js');
    const result = await runScan(planScan(target), (m) => out.info(m));
    const baselinePath = resolve(DEFAULT_BASELINE_PATH);
    const baseline = readBaseline(baselinePath);
    const report = buildReport(result, applyBaseline(result.findings, baseline), 'high');
    const written = writeReports(report, ['json', 'sarif', 'md'], join(workDir, 'security'));
    const counts = countBySeverity(report.active);
    // a probe that ended in error fails the scan (as `preflight scan` does); one that ran out of budget did not check
    const unfinished = result.probes.filter((p) => p.status !== 'ok');
    const errored = unfinished.some((p) => p.status === 'error');
    const summary = `${report.active.length} findings (critical ${counts.critical}, high ${counts.high}, medium ${counts.medium}) in ${result.requests} requests${
      report.failing.length
        ? `; failing: ${[...new Set(report.failing.map((f) => f.ruleId))].slice(0, 4).join(', ')}`
        : ''
    }${
      unfinished.length
        ? `; could not finish ${unfinished.length} of ${result.probes.length} probes: ${describeUnfinished(unfinished)}`
        : ''
    }${report.notRun.length ? `; ${report.notRun.length} checks not run (reasons in the security report)` : ''}`;
    return {
      status: report.failing.length || errored ? 'fail' : unfinished.length ? 'not-run' : 'pass',
      summary,
      details: { reports: written, findings: report.active.length },
    };
  },
};

/** Probes grouped by why they stopped: `headers, jwt (probe failed: Login as studentA ... HTTP 401)`. */
function describeUnfinished(probes: Array<{ name: string; status: string; notes: string[] }>): string {
  const byReason = new Map<string, string[]>();
  for (const probe of probes) {
    const reason = probe.notes[0] ?? probe.status;
    byReason.set(reason, [...(byReason.get(reason) ?? []), probe.name]);
  }
  return [...byReason].map(([reason, names]) => `${names.join(', ')} (${reason})`).join('; ');
}

const monitoringStep: LaunchStep = {
  name: 'monitoring',
  describe:
    'alert rules checked and unit-tested with promtool; every dashboard and alert query checked against what the target exports',
  async run({ target, out, config, env }) {
    const { runMonitorTest } = await import('../../../monitoring/test-run.js');
    const result = await runMonitorTest({ config, env, target, log: (m) => out.info(m) });
    const failed = result.steps.filter((s) => !s.ok);
    const summary = failed.length
      ? `failed: ${failed.map((s) => `${s.name} (${s.problems.slice(0, 2).join('; ')})`).join(', ')}`
      : result.steps.map((s) => `${s.name} ok`).join(', ');
    return { status: result.ok ? 'pass' : 'fail', summary, details: result };
  },
};

const backupStep: LaunchStep = {
  name: 'backup',
  describe: 'an encrypted backup of the database, then a verified restore that compares exact contents',
  async run({ target, out, workDir, config, env }) {
    const { runBackup } = await import('../../../backups/run.js');
    const { verifyBackup } = await import('../../../backups/verify.js');
    const { openStorage } = await import('../../../backups/storage/index.js');
    const { defaultRetryPolicy } = await import('../../../backups/retry.js');
    const { readAgeIdentity } = await import('../../../backups/context.js');
    const adminUrl = target.database.adminUrl;
    let storageUrl = target.backup.storage;
    let recipients = config.backups.ageRecipients;
    // the same sources as `backup verify`: the variable, else backups.ageIdentityFile
    let identity = readAgeIdentity(config, env);
    if (target.sandbox) {
      // The sandbox gets a throwaway key pair and local storage inside this launch run's directory.
      const age = await import('age-encryption');
      identity = await age.generateIdentity();
      registerSecret(identity);
      recipients = [await age.identityToRecipient(identity)];
      storageUrl = pathToFileURL(join(workDir, 'backups')).toString();
    }
    const missing = [
      adminUrl ? '' : `targets.${target.name}.database.adminUrlEnv`,
      storageUrl ? '' : `targets.${target.name}.backup.storage`,
      recipients.length ? '' : 'backups.ageRecipients',
      identity ? '' : `$${config.backups.ageIdentityEnv} or backups.ageIdentityFile`,
    ].filter(Boolean);
    if (missing.length || !adminUrl || !storageUrl) {
      return { status: 'not-run', summary: `not configured: set ${missing.join(', ')}` };
    }
    const storage = openStorage(storageUrl, config.backups, { env });
    const metrics = {
      pushgatewayUrl: config.backups.pushgatewayUrl,
      textfileDir: config.backups.textfileDir ?? join(workDir, 'metrics'),
    };
    mkdirSync(metrics.textfileDir, { recursive: true });
    const log = (m: string) => out.info(m);
    const backup = await runBackup({
      target: target.name,
      adminUrl,
      storage,
      recipients,
      compressLevel: config.backups.compressLevel,
      checksumMethod: config.backups.checksum,
      metrics,
      env,
      log,
    });
    const verify = await verifyBackup({
      target: target.name,
      storage,
      id: backup.id,
      identity,
      workDir: join(workDir, 'verify'),
      restoreJobs: config.backups.restoreJobs,
      metrics,
      retry: defaultRetryPolicy,
      env,
      log,
    });
    const record = verify.record;
    const size = backup.manifest.objects.reduce((sum, o) => sum + o.size, 0);
    const summary = `${backup.id}: ${formatBytes(size)}, ${record.tables.total} tables, restore verified in ${formatDuration(record.rto.totalMs)}${
      record.ok
        ? ''
        : `; mismatched: ${record.tables.mismatched.map((t) => `${t.schema}.${t.table}`).join(', ')}`
    }`;
    const catalog = await readBackupHistory(storage, target.name).catch(() => undefined);
    return {
      status: record.ok ? 'pass' : 'fail',
      summary,
      details: { id: backup.id, verification: record, ...(catalog ? { catalog } : {}) },
    };
  },
};

/** Size and duration of the last 30 complete backups in the storage's catalog, for the report's history. */
async function readBackupHistory(
  storage: Parameters<typeof import('../../../backups/catalog.js').readCatalog>[0],
  target: string,
): Promise<Array<{ id: string; createdAt: string; sizeBytes: number; durationMs: number }>> {
  const { readCatalog } = await import('../../../backups/catalog.js');
  return (await readCatalog(storage, target))
    .flatMap((e) => (e.complete && e.manifest ? [{ id: e.id, manifest: e.manifest }] : []))
    .sort((a, b) => a.id.localeCompare(b.id))
    .slice(-30)
    .map(({ id, manifest }) => ({
      id,
      createdAt: manifest.startedAt,
      sizeBytes: manifest.objects.reduce((sum, o) => sum + o.size, 0),
      durationMs: manifest.durationMs,
    }));
}

/** Runs launch scenarios in order; each must pass its thresholds and the database invariants. */
function createLoadStep(name: string, describe: string, scenarios: string[]): LaunchStep {
  return {
    name,
    describe,
    async run({ target, out, workDir, signal }) {
      const { runLaunchScenario } = await import('../../../loadtests/launch/run.js');
      const parts: string[] = [];
      const details: unknown[] = [];
      let failed = false;
      let notRun = false;
      for (const scenario of scenarios) {
        const result = await runLaunchScenario({
          scenario,
          target,
          engine: 'native',
          resultsDir: join(workDir, 'load'),
          signal,
          onNotice: (m) => out.info(m),
        });
        const summary = result.run.summary;
        const failedThresholds = summary.thresholds
          .filter((t) => !t.ok)
          .map((t) => `${t.metric} ${t.source}`);
        const broken = [
          ...failedThresholds,
          ...result.invariants.filter((i) => !i.ok).map((i) => `invariant ${i.name}`),
          ...(result.cleanup.leftover.length
            ? [`${result.cleanup.leftover.length} booking(s) still active after clean-up`]
            : []),
        ];
        // a scenario that could not start (no bookable slot) measured nothing: not run, unless it also broke something
        notRun ||= result.notRun !== undefined;
        failed ||= broken.length > 0 || (result.notRun === undefined && result.exitCode !== 0);
        const p95 = summary.latency.uncorrected?.p95;
        parts.push(
          result.notRun !== undefined
            ? `${scenario}: not run (${result.notRun})${broken.length ? ` (failed: ${broken.slice(0, 3).join(', ')})` : ''}`
            : `${scenario}: ${summary.thresholds.length - failedThresholds.length}/${summary.thresholds.length} thresholds${p95 === undefined ? '' : `, p95 ${Math.round(p95)} ms`}${broken.length ? ` (failed: ${broken.slice(0, 3).join(', ')})` : ''}`,
        );
        details.push({
          scenario,
          exitCode: result.exitCode,
          notRun: result.notRun,
          summary,
          invariants: result.invariants,
          bottleneck: result.bottleneck,
          cleanup: result.cleanup,
        });
      }
      return { status: failed ? 'fail' : notRun ? 'not-run' : 'pass', summary: parts.join('; '), details };
    },
  };
}

const loadStep = createLoadStep(
  'load',
  'k6 scenarios on the built-in engine: smoke, then the 50-student booking race with database invariants',
  ['smoke', 'booking-race'],
);

export const launchSteps: LaunchStep[] = [
  searchCheckStep,
  loadStep,
  securityStep,
  backupStep,
  monitoringStep,
];
