/** `preflight monitor test`: promtool check and unit tests, dashboard and Terraform structure, and the live metric inventory. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthMonitoringApp } from '../infra/app.js';
import { validateConfig } from '../src/core/config/load.js';
import type { PreflightConfig } from '../src/core/config/schema.js';
import { PreflightError } from '../src/core/errors.js';
import { ApiClient } from '../src/core/http.js';
import { buildSearchPath } from '../src/core/platform/discovery.js';
import type { ResolvedTarget } from '../src/core/target.js';
import { buildAlerts } from './alerts.js';
import { checkDashboardJson, checkSynthesizedStack, findLeakedSecrets } from './checks.js';
import { buildDashboards } from './dashboards.js';
import { checkInventory, collectQueryUses, type InventoryResult } from './inventory.js';
import { getMetricCatalog } from './metrics.js';
import { createProfileForTarget, createTestProfile, type MonitoringProfile } from './profile.js';
import { checkRuleFiles, checkRuleTestCoverage, runRuleTests } from './promtool.js';
import { renderPrometheusRules } from './rules.js';
import { getMetricsEndpoints, readPrometheusSeries, scrapeEndpoints } from './scrape.js';
import { buildSloRecordingRules } from './slo.js';

export interface TestStep {
  name: 'rules-check' | 'rules-test' | 'dashboards' | 'synth' | 'inventory';
  ok: boolean;
  summary: string;
  problems: string[];
  notes: string[];
}

export interface MonitorTestOptions {
  config: PreflightConfig;
  env: NodeJS.ProcessEnv;
  /** The target whose live metrics the inventory checks; undefined skips the inventory. */
  target?: ResolvedTarget;
  pushgatewayUrl?: string;
  /** A running `preflight monitor pool` (its /metrics URL): the Connection pool panels and alerts are checked against it. */
  poolExporterUrl?: string;
  /** A Prometheus that a load run remote-wrote k6 metrics to: the Load tests panels are checked against its series. */
  k6PrometheusUrl?: string;
  promtool?: string;
  testsDir?: string;
  log?: (message: string) => void;
}

/** An example config used for the structural synth check when the config defines no monitored target. */
const exampleConfig = () =>
  validateConfig({
    targets: {
      staging: { baseUrl: 'https://api.staging.example.com', environment: 'staging' },
      production: { baseUrl: 'https://api.example.com', environment: 'production', production: true },
    },
  });

export function getTargetProfile(target: ResolvedTarget, config: PreflightConfig): MonitoringProfile {
  return createProfileForTarget(target, config, { scopeToEnvironment: false });
}

export async function runMonitorTest(
  options: MonitorTestOptions,
): Promise<{ ok: boolean; steps: TestStep[] }> {
  const log = options.log ?? (() => undefined);
  const steps: TestStep[] = [];
  const work = mkdtempSync(join(tmpdir(), 'preflight-monitor-test-'));
  try {
    log('promtool check rules ...');
    steps.push(await checkGeneratedRules(options, work));
    log('promtool test rules ...');
    steps.push(await testRules(options));
    log('dashboard JSON ...');
    steps.push(checkDashboards(options));
    log('synth and check cdk.tf.json ...');
    steps.push(checkSynth(options, work));
    if (options.target) {
      log(`metric inventory against ${options.target.name} ...`);
      steps.push(await checkLiveInventory(options, options.target));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ok: steps.every((s) => s.ok), steps };
}

function getProfiles(options: MonitorTestOptions): Array<[string, MonitoringProfile]> {
  const profiles: Array<[string, MonitoringProfile]> = [['test', createTestProfile()]];
  for (const name of options.config.monitoring.environments) {
    const target = options.config.targets[name];
    if (target) profiles.push([name, createProfileForTarget(target, options.config)]);
  }
  if (options.target)
    profiles.push([`${options.target.name}-local`, getTargetProfile(options.target, options.config)]);
  return profiles;
}

async function checkGeneratedRules(options: MonitorTestOptions, work: string): Promise<TestStep> {
  const files = getProfiles(options).map(([name, profile]) => {
    const file = join(work, `${name}.rules.yml`);
    writeFileSync(file, renderPrometheusRules(profile));
    return file;
  });
  const result = await checkRuleFiles(files, { promtool: options.promtool });
  return {
    name: 'rules-check',
    ok: result.ok,
    summary: `${files.length} rule files ${result.ok ? 'valid' : 'INVALID'}`,
    problems: result.ok ? [] : [result.output],
    notes: [],
  };
}

async function testRules(options: MonitorTestOptions): Promise<TestStep> {
  const run = await runRuleTests({ promtool: options.promtool, testsDir: options.testsDir });
  const coverage = checkRuleTestCoverage(options.testsDir);
  const problems: string[] = [];
  if (!run.ok) problems.push(run.output);
  for (const name of coverage.neverFiring) problems.push(`alert ${name} has no test where it fires`);
  for (const name of coverage.neverSilent) problems.push(`alert ${name} has no test where it stays silent`);
  for (const kind of coverage.untestedRecordings)
    problems.push(`no promql_expr_test evaluates the ${kind} SLO recording rules`);
  for (const name of coverage.unknownAlerts)
    problems.push(`a test names alert ${name}, which no rule defines`);
  return {
    name: 'rules-test',
    ok: run.ok && coverage.ok,
    summary: `${run.files.length} test files, every alert fires and stays silent: ${coverage.ok ? 'yes' : 'no'}`,
    problems,
    notes: [],
  };
}

function checkDashboards(options: MonitorTestOptions): TestStep {
  const profile = options.target ? getTargetProfile(options.target, options.config) : createTestProfile();
  const dashboards = buildDashboards(profile, { datasourceUid: 'preflight-prom', uidPrefix: 'preflight' });
  const problems = dashboards.flatMap(checkDashboardJson).map((p) => `${p.where}: ${p.message}`);
  const panels = dashboards.reduce(
    (n, d) => n + (d.dashboard.panels ?? []).filter((p) => p.type !== 'row').length,
    0,
  );
  return {
    name: 'dashboards',
    ok: problems.length === 0,
    summary: `${dashboards.length} dashboards, ${panels} panels`,
    problems,
    notes: [],
  };
}

function checkSynth(options: MonitorTestOptions, work: string): TestStep {
  const defined = options.config.monitoring.environments.filter((e) => options.config.targets[e]);
  const config = defined.length ? options.config : exampleConfig();
  const notes = defined.length
    ? []
    : ['no monitored target in the config: checked an example staging/production config'];
  const outdir = join(work, 'cdktf.out');
  const stacks = synthMonitoringApp(config, { outdir, environments: defined.length ? defined : undefined });
  const secretEnv = [
    options.config.monitoring.slackWebhookEnv,
    ...Object.values(options.config.targets).flatMap((t) => [
      t.grafana.remoteWritePasswordEnv,
      t.metricsAuth?.passwordEnv,
      t.supabaseMetrics?.passwordEnv,
    ]),
  ];
  const secrets = secretEnv
    .map((name) => (name ? options.env[name] : undefined))
    .filter((v): v is string => Boolean(v));
  const problems: string[] = [];
  const dashboards = buildDashboards(createTestProfile(), { datasourceUid: 'x', uidPrefix: 'x' }).length;
  for (const stack of stacks) {
    for (const p of checkSynthesizedStack(stack.file, { dashboards }))
      problems.push(`${stack.target}: ${p.where}: ${p.message}`);
    for (const leaked of findLeakedSecrets(stack.file, secrets))
      problems.push(`${stack.target}: a secret value (${leaked.length} chars) appears in cdk.tf.json`);
    if (!stack.resources.grafana_rule_group) problems.push(`${stack.target}: no rule groups`);
  }
  return {
    name: 'synth',
    ok: problems.length === 0,
    summary: `${stacks.length} stacks (${stacks.map((s) => s.target).join(', ')})`,
    problems,
    notes,
  };
}

/** A few requests so labelled counters of the sandbox have samples before the scrape (routes from the profile). */
async function warmUpSandbox(target: ResolvedTarget): Promise<void> {
  const client = new ApiClient(target, { timeoutMs: 10_000 });
  const { routes, auth } = target.platform;
  const ignore = () => undefined;
  await client.request(routes.health.method, routes.health.path).catch(ignore);
  await client.request(routes.ready.method, routes.ready.path).catch(ignore);
  for (const query of ['piano under $80', 'zzzz-no-such-lesson'])
    await client.request(routes.search.method, buildSearchPath(target.platform, query, 5)).catch(ignore);
  await client
    .request(routes.login.method, routes.login.path, {
      form: { [auth.usernameField]: 'nobody@example.com', [auth.passwordField]: 'wrong-password' },
      noBypass: true,
    })
    .catch(ignore);
}

export async function runInventory(
  options: Pick<
    MonitorTestOptions,
    'config' | 'env' | 'pushgatewayUrl' | 'k6PrometheusUrl' | 'poolExporterUrl'
  >,
  target: ResolvedTarget,
  extraUses: Array<{ where: string; expr: string }> = [],
): Promise<{ result: InventoryResult; scrapeFailures: string[] }> {
  const profile = getTargetProfile(target, options.config);
  if (target.sandbox) await warmUpSandbox(target);
  const endpoints = getMetricsEndpoints(target, options.config, options.env, {
    pushgatewayUrl: options.pushgatewayUrl,
    poolExporterUrl: options.poolExporterUrl,
  });
  const { exported, failures } = await scrapeEndpoints(endpoints, target);
  if (options.k6PrometheusUrl)
    exported.k6 = await readPrometheusSeries(options.k6PrometheusUrl, '{__name__=~"k6_.+"}');
  const recording = buildSloRecordingRules(profile);
  const uses = [
    ...collectQueryUses(
      buildDashboards(profile, { datasourceUid: 'preflight-prom', uidPrefix: 'preflight' }),
      buildAlerts(profile),
      recording,
    ),
    ...extraUses,
  ];
  return {
    result: checkInventory(uses, exported, recording, getMetricCatalog(profile.platform.metrics)),
    scrapeFailures: failures.map((f) => `${f.source}: ${f.message}`),
  };
}

async function checkLiveInventory(options: MonitorTestOptions, target: ResolvedTarget): Promise<TestStep> {
  const { result, scrapeFailures } = await runInventory(options, target);
  if (scrapeFailures.length && !result.sources.includes('platform')) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `The metrics of target "${target.name}" could not be scraped: ${scrapeFailures.join('; ')}`,
      {
        hint: target.sandbox
          ? 'is the sandbox running? (`preflight sandbox up --detach`)'
          : 'check baseUrl, metricsPath and metricsAuth',
      },
    );
  }
  const byReason = new Map<string, Set<string>>();
  for (const u of result.unverified)
    byReason.set(u.reason, (byReason.get(u.reason) ?? new Set()).add(u.metric));
  const notes = [...byReason].map(
    ([reason, metrics]) => `not verified, ${reason}: ${[...metrics].join(', ')}`,
  );
  return {
    name: 'inventory',
    ok: result.ok && scrapeFailures.length === 0,
    summary: `${result.checkedQueries} queries against ${result.sources.join(', ') || 'no source'}`,
    problems: [...scrapeFailures.map((f) => `scrape failed: ${f}`), ...result.problems.map((p) => p.message)],
    notes,
  };
}
