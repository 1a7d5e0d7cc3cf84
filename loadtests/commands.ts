/** Handlers of `preflight load ...`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from '../src/core/cli/context.js';
import type { Handler } from '../src/core/cli/define.js';
import { ExitCode, PreflightError, usageError } from '../src/core/errors.js';
import { formatTable } from '../src/core/output.js';
import { redact } from '../src/core/redact.js';
import { type WrittenReport, writeReportIfRegistered } from '../src/core/report-hook.js';
import { onInterrupt } from '../src/core/signals.js';
import type { ResolvedTarget } from '../src/core/target.js';
import { buildOperatorManifests } from './engine/distributed/operator.js';
import { evaluateFromPrometheus } from './engine/distributed/verdict.js';
import { parseThresholds } from './engine/metrics/thresholds.js';
import { readScriptDefinitions } from './engine/native/native.js';
import { formatProgress, formatRunReport } from './engine/outputs/report.js';
import { createRunId } from './engine/outputs/results.js';
import type { EngineChoice } from './engine/run.js';
import { bundleScenario } from './engine/scenario/bundle.js';
import { listScenarios, resolveScenarioPath } from './engine/scenario/find-scenario.js';
import type { K6Options } from './engine/scenario/options.js';
import { resolveMetricsAuth } from './launch/metrics-auth.js';
import { resolvePgbouncerRestart, resolvePoolerAdminUrl } from './launch/pooler-admin.js';
import { formatLaunchReport } from './launch/report.js';
import { runLaunchScenario } from './launch/run.js';

/** `-e KEY=VALUE` pairs (as k6 -e). */
export function parseEnvFlags(values: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of values ?? []) {
    const idx = pair.indexOf('=');
    if (idx <= 0) throw usageError(`Expected \`-e\` as KEY=VALUE, got \`${pair}\``);
    env[pair.slice(0, idx)] = pair.slice(idx + 1);
  }
  return env;
}

const isScriptPath = (scenario: string) => /[/\\]|\.(ts|js|mjs)$/.test(scenario);

/** Hosts a raw script run without --target may reach besides loopback: the hosts of configured targets. */
function getConfiguredHosts(context: Context): string[] {
  try {
    const { config } = context.loadConfig();
    return Object.values(config.targets).flatMap((t) => [
      ...(t.baseUrl ? [new URL(t.baseUrl).hostname] : []),
      ...t.allowedHosts,
    ]);
  } catch {
    return [];
  }
}

interface RunArgs {
  scenario: string;
  env: string[];
  vus?: number;
  duration?: string;
  iterations?: number;
  engine?: EngineChoice;
  workers: number;
  out: string[];
  testid?: string;
  resultsDir?: string;
  summaryMd?: string;
  iUnderstandThisIsProduction: boolean;
}

export const loadRunCommand: Handler<RunArgs> = async (argv, context) => {
  const { out } = context;
  let target: ResolvedTarget | undefined;
  if (argv.target || !isScriptPath(argv.scenario)) target = context.resolveTarget();
  if (target?.production && !argv.iUnderstandThisIsProduction) {
    throw new PreflightError('E_USAGE', `Target "${target.name}" is marked production`, {
      hint: 'add --i-understand-this-is-production if you really mean to load it',
    });
  }
  if (argv.workers !== undefined && (!Number.isInteger(argv.workers) || argv.workers < 1)) {
    throw usageError(`Expected \`--workers\` to be a positive integer, got \`${argv.workers}\``);
  }
  const controller = new AbortController();
  const interrupt = onInterrupt(controller, {
    onFirst: () =>
      out.warn('interrupted: stopping iterations, then teardown and summary (Ctrl-C again to force)'),
  });
  const tty = Boolean((process.stderr as NodeJS.WriteStream).isTTY);
  let lastPrinted = 0;
  try {
    // the launch layer: production guard, booking journal, resource sampling, invariants, clean-up by id
    const launch = await runLaunchScenario({
      acknowledgeProduction: argv.iUnderstandThisIsProduction,
      metricsAuth: resolveMetricsAuth(context, target),
      poolerAdminUrl: resolvePoolerAdminUrl(context, target),
      pgbouncerRestart: resolvePgbouncerRestart(context, target),
      scenario: argv.scenario,
      cwd: context.cwd,
      engine: argv.engine,
      target,
      allowedHosts: target ? undefined : getConfiguredHosts(context),
      env: parseEnvFlags(argv.env),
      vus: argv.vus,
      duration: argv.duration,
      iterations: argv.iterations,
      workers: argv.workers,
      outputs: argv.out,
      testid: argv.testid,
      resultsDir: argv.resultsDir ? resolve(context.cwd, argv.resultsDir) : undefined,
      signal: controller.signal,
      processEnv: context.env,
      onNotice: (message) => out.info(message),
      onProgress: (p) => {
        if (out.json && !out.verbose) return;
        const line = formatProgress(p);
        if (tty) process.stderr.write(`\r\u001b[2K${line}`);
        else if (p.elapsedMs - lastPrinted >= 5000) {
          lastPrinted = p.elapsedMs;
          out.info(line);
        }
      },
    });
    const result = launch.run;
    if (tty && !out.json) process.stderr.write('\r\u001b[2K');
    if (result.summaryStdout) out.print(result.summaryStdout);
    out.print(formatRunReport(result.summary, out.paint));
    out.print(formatLaunchReport(launch, out.paint, out.verbose));
    if (result.resultsDir) out.print(`\nresults: ${result.resultsDir}`);
    const report = result.resultsDir ? await writeRunReport(result.resultsDir, argv, context) : undefined;
    if (report) {
      out.print(`report:  ${report.html}\n         ${pathToFileURL(report.html)}`);
      for (const md of report.markdown) out.print(`summary: ${md}`);
    }
    const { bottleneck, invariants, cleanup, notRun, connectionLoss } = launch;
    out.result({
      ok: launch.exitCode === 0,
      resultsDir: result.resultsDir,
      report: report?.html ?? null,
      summary: result.summary,
      launch: { bottleneck, invariants, cleanup, notRun, connectionLoss },
    });
    return launch.exitCode;
  } finally {
    interrupt.dispose();
  }
};

/** report.html beside the results (when the app registered a writer); a failure is a warning, not a lost verdict. */
async function writeRunReport(
  dir: string,
  argv: RunArgs,
  context: Context,
): Promise<WrittenReport | undefined> {
  try {
    return await writeReportIfRegistered({
      dir,
      summaryMd: argv.summaryMd ? resolve(context.cwd, argv.summaryMd) : undefined,
      env: context.env,
    });
  } catch (error) {
    context.out.warn(
      `the HTML report could not be written: ${redact(String((error as Error).message ?? error))}`,
    );
    return undefined;
  }
}

interface OperatorArgs {
  scenario: string;
  parallelism: number;
  namespace: string;
  prometheusRw?: string;
  testid?: string;
  outDir?: string;
  env: string[];
}

export const loadOperatorCommand: Handler<OperatorArgs> = async (argv, context) => {
  const path = resolveScenarioPath(argv.scenario, context.cwd);
  const bundle = await bundleScenario(path, { runnerTags: true });
  const testid = argv.testid ?? createRunId(path);
  const manifests = buildOperatorManifests({
    esm: bundle.esm,
    scenarioName: argv.scenario.replace(/^.*\//, '').replace(/\.[cm]?[jt]s$/, ''),
    parallelism: argv.parallelism,
    namespace: argv.namespace,
    testid,
    remoteWriteUrl: argv.prometheusRw,
    env: parseEnvFlags(argv.env),
  });
  if (argv.outDir) {
    const dir = resolve(context.cwd, argv.outDir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'configmap.yaml'), manifests.yaml.configMap);
    writeFileSync(join(dir, 'testrun.yaml'), manifests.yaml.testRun);
    context.out.print(
      `wrote ${join(dir, 'configmap.yaml')} and ${join(dir, 'testrun.yaml')} (testid ${testid})`,
    );
    context.out.print(
      `apply: kubectl apply -f ${join(dir, 'configmap.yaml')} -f ${join(dir, 'testrun.yaml')}`,
    );
    if (argv.prometheusRw)
      context.out.print(
        `verdict: preflight load verdict --prometheus <prometheus base URL> --testid ${testid} ${argv.scenario}`,
      );
  } else context.out.artifact(`${manifests.yaml.configMap}---\n${manifests.yaml.testRun}`);
  context.out.result({ ok: true, testid, testRun: manifests.testRun, configMap: manifests.configMap });
  return ExitCode.ok;
};

interface VerdictArgs {
  scenario: string;
  prometheus: string;
  testid: string;
  env: string[];
}

export const loadVerdictCommand: Handler<VerdictArgs> = async (argv, context) => {
  const path = resolveScenarioPath(argv.scenario, context.cwd);
  const bundle = await bundleScenario(path);
  const script = readScriptDefinitions(bundle.cjs, path, parseEnvFlags(argv.env));
  const options = (script.exports.options ?? {}) as K6Options;
  const thresholds = parseThresholds(options.thresholds);
  if (thresholds.length === 0) throw usageError(`${argv.scenario} defines no thresholds`);
  const results = await evaluateFromPrometheus({
    prometheus: argv.prometheus,
    testid: argv.testid,
    thresholds,
    metrics: script.metrics,
  });
  const ok = results.every((r) => r.ok);
  const { paint } = context.out;
  context.out.print(
    formatTable(
      ['threshold', 'metric', 'observed', 'series', 'verdict'],
      results.map((r) => [
        r.source,
        r.metric,
        r.observed === undefined ? 'no data' : `${r.observed.toFixed(3)}${r.approximate ? ' (approx.)' : ''}`,
        r.series,
        r.ok ? paint.green('pass') : paint.red('FAIL'),
      ]),
    ),
  );
  context.out.result({ ok, testid: argv.testid, thresholds: results });
  return ok ? ExitCode.ok : ExitCode.checkFailed;
};

export const loadListCommand: Handler = async (_argv, context) => {
  const names = listScenarios(context.cwd);
  context.out.print(names.join('\n'));
  context.out.result({ scenarios: names });
  return ExitCode.ok;
};
