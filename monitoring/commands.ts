/** Handlers of `preflight monitor synth|diff|deploy|test|up|alloy|pool`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { defaultOutdir, listSynthesizedStacks, synthMonitoringApp } from '../infra/app.js';
import type { Context } from '../src/core/cli/context.js';
import type { Handler } from '../src/core/cli/define.js';
import { readSecretEnv } from '../src/core/config/secret-env.js';
import { ExitCode, PreflightError, usageError } from '../src/core/errors.js';
import { formatTable } from '../src/core/output.js';
import { redactUrl, registerSecret } from '../src/core/redact.js';
import { waitForInterrupt } from '../src/core/signals.js';
import { renderAlloyConfig } from './alloy.js';
import { startPoolExporter } from './pool/exporter.js';
import { parseListenAddress } from './pool/listen.js';
import { createProfileForTarget } from './profile.js';
import { startLocalPrometheus } from './prometheus.js';
import { renderPrometheusRules } from './rules.js';
import { getMetricsEndpoints } from './scrape.js';
import { findTerraformTool, runStacks } from './terraform.js';
import { getTargetProfile, runMonitorTest } from './test-run.js';

interface SynthArgs {
  out?: string;
  environment?: string[];
}

function synthInto(context: Context, argv: SynthArgs) {
  const { config } = context.loadConfig();
  const outdir = resolve(context.cwd, argv.out ?? defaultOutdir);
  const stacks = synthMonitoringApp(config, {
    outdir,
    environments: argv.environment?.length ? argv.environment : undefined,
  });
  for (const stack of stacks) {
    const file = join(outdir, 'prometheus', `${stack.target}.rules.yml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderPrometheusRules(createProfileForTarget(config.targets[stack.target]!, config)));
  }
  return { outdir, stacks };
}

export const synthCommand: Handler<SynthArgs> = async (argv, context) => {
  const { outdir, stacks } = synthInto(context, argv);
  context.out.result({ ok: true, outdir, stacks });
  context.out.print(
    `${formatTable(
      ['stack', 'environment', 'file', 'resources'],
      stacks.map((s) => [
        s.target,
        s.environment,
        relative(context.cwd, s.file),
        Object.values(s.resources).reduce((a, b) => a + b, 0),
      ]),
    )}\nPrometheus rule files: ${relative(context.cwd, join(outdir, 'prometheus'))}/`,
  );
  return ExitCode.ok;
};

interface DeployArgs extends SynthArgs {
  terraform?: string;
  yes?: boolean;
}

function getDeployEnv(context: Context): Record<string, string | undefined> {
  const { config } = context.loadConfig();
  const webhook = context.env[config.monitoring.slackWebhookEnv];
  registerSecret(webhook);
  return webhook ? { TF_VAR_slack_webhook_url: webhook } : {};
}

async function runTerraformAction(
  action: 'diff' | 'deploy',
  argv: DeployArgs,
  context: Context,
): Promise<number> {
  if (action === 'deploy' && !argv.yes) {
    throw usageError(
      '`monitor deploy` changes Grafana: pass --yes to apply',
      'run `preflight monitor diff` first to see the plan',
    );
  }
  const tool = findTerraformTool({ terraform: argv.terraform, cwd: context.cwd, env: context.env });
  const { outdir, stacks } = synthInto(context, argv);
  context.out.info(
    `${action === 'diff' ? 'planning' : 'applying'} ${stacks.length} stacks with ${tool.kind} (${tool.path}) ...`,
  );
  const runs = await runStacks(tool, action, {
    outdir,
    stacks: stacks.map((s) => s.target).filter((s) => listSynthesizedStacks(outdir).includes(s)),
    env: getDeployEnv(context),
    cwd: context.cwd,
  });
  const ok = runs.every((r) => r.ok);
  context.out.result({ ok, tool: tool.kind, runs });
  for (const run of runs)
    context.out.print(
      `== ${run.stack}: ${run.ok ? (run.changes ? 'changes' : 'no changes') : 'FAILED'}\n${run.output}`,
    );
  return ok ? ExitCode.ok : ExitCode.checkFailed;
}

export const diffCommand: Handler<DeployArgs> = (argv, context) => runTerraformAction('diff', argv, context);
export const deployCommand: Handler<DeployArgs> = (argv, context) =>
  runTerraformAction('deploy', argv, context);

interface TestArgs {
  pushgateway?: string;
  poolExporter?: string;
  k6Prometheus?: string;
  promtool?: string;
  inventory: boolean;
}

export const testCommand: Handler<TestArgs> = async (argv, context) => {
  const { config } = context.loadConfig();
  const target = argv.inventory ? context.resolveTarget() : undefined;
  const report = await runMonitorTest({
    config,
    env: context.env,
    target,
    pushgatewayUrl: argv.pushgateway,
    poolExporterUrl: argv.poolExporter,
    k6PrometheusUrl: argv.k6Prometheus,
    promtool: argv.promtool,
    log: (m) => context.out.info(m),
  });
  context.out.result(report);
  const { paint } = context.out;
  const lines: string[] = [];
  for (const step of report.steps) {
    lines.push(
      `${step.ok ? paint.green('ok  ') : paint.red('FAIL')} ${step.name.padEnd(12)} ${step.summary}`,
    );
    for (const problem of step.problems)
      lines.push(`       ${paint.red('x')} ${problem.split('\n').join('\n         ')}`);
    for (const note of step.notes) lines.push(`       ${paint.dim(`- ${note}`)}`);
  }
  if (!target) lines.push(paint.dim('inventory skipped (--no-inventory)'));
  lines.push(report.ok ? paint.green('monitoring checks passed') : paint.red('monitoring checks failed'));
  context.out.print(lines.join('\n'));
  return report.ok ? ExitCode.ok : ExitCode.checkFailed;
};

interface UpArgs {
  port?: number;
  pushgateway?: string;
  prometheus?: string;
  scrapeInterval: string;
  evaluationInterval: string;
  for?: string;
}

export const upCommand: Handler<UpArgs> = async (argv, context) => {
  const { config } = context.loadConfig();
  const target = context.resolveTarget();
  const endpoints = getMetricsEndpoints(target, config, context.env, { pushgatewayUrl: argv.pushgateway });
  const profile = { ...getTargetProfile(target, config), ...(argv.for ? { forOverride: argv.for } : {}) };
  const prometheus = await startLocalPrometheus({
    endpoints,
    profile,
    port: argv.port,
    prometheus: argv.prometheus,
    scrapeInterval: argv.scrapeInterval,
    evaluationInterval: argv.evaluationInterval,
  });
  try {
    context.out.result({
      ok: true,
      url: prometheus.url,
      target: target.name,
      sources: endpoints.map((e) => e.source),
    });
    context.out.print(
      `Prometheus on ${prometheus.url} scrapes ${endpoints.map((e) => e.source).join(', ')} of "${target.name}" with the generated rules.\n` +
        `Alerts: ${prometheus.url}/alerts   Ctrl-C stops it.`,
    );
    const interrupt = waitForInterrupt();
    try {
      await Promise.race([interrupt.received, prometheus.process.result.catch(() => undefined)]);
    } finally {
      interrupt.dispose();
    }
  } finally {
    await prometheus.stop();
  }
  return ExitCode.ok;
};

interface AlloyArgs {
  out?: string;
}

export const alloyCommand: Handler<AlloyArgs> = async (argv, context) => {
  const { config } = context.loadConfig();
  const name = argv.target ?? config.defaultTarget;
  const target = config.targets[name];
  if (!target) {
    throw new PreflightError(
      'E_CONFIG',
      `Alloy configs are generated for configured targets; "${name}" is not one`,
      {
        hint: 'pass --target <name> of a target in preflight.yaml (staging, production)',
      },
    );
  }
  const text = renderAlloyConfig({ targetName: name, target, config });
  if (argv.out) {
    const file = resolve(context.cwd, argv.out);
    writeFileSync(file, text);
    context.out.result({ ok: true, file });
    context.out.print(`wrote ${relative(context.cwd, file)}`);
  } else {
    context.out.result({ ok: true, config: text });
    context.out.artifact(text);
  }
  return ExitCode.ok;
};

interface PoolArgs {
  listen?: string;
  interval?: number;
}

export const poolCommand: Handler<PoolArgs> = async (argv, context) => {
  const { config } = context.loadConfig();
  const target = context.resolveTarget();
  const pool = config.targets[target.name]?.pool;
  // the same address the Alloy config scrapes (pool.exporterAddress)
  const listen = parseListenAddress(argv.listen ?? pool?.exporterAddress ?? '127.0.0.1:9187');
  const intervalSeconds = argv.interval ?? pool?.probeIntervalSeconds ?? 5;
  if (!(Number.isFinite(intervalSeconds) && intervalSeconds > 0))
    throw usageError(
      `Expected \`--interval\` to be a positive number of seconds, got \`${String(argv.interval)}\``,
      'pass --interval 5 (or set pool.probeIntervalSeconds)',
    );
  const secret = (name: string | undefined) => {
    const value = readSecretEnv(context.env, name);
    registerSecret(value);
    return value;
  };
  const supabasePassword = secret(pool?.supabaseMetricsPasswordEnv);
  const exporter = await startPoolExporter({
    listen,
    intervalMs: Math.round(intervalSeconds * 1000),
    postgresUrl: target.database.readonlyUrl ?? target.database.adminUrl,
    pgbouncerAdminUrl: secret(pool?.poolerAdminUrlEnv),
    poolerUrl: secret(pool?.poolerUrlEnv),
    supabase: pool?.supabaseMetricsUrl
      ? { url: pool.supabaseMetricsUrl, username: pool.supabaseMetricsUsername, password: supabasePassword }
      : undefined,
    // state changes go to stderr in --json mode too: they are the log of a long-running exporter
    log: (message) => context.out.warn(message),
  });
  try {
    context.out.result({
      ok: true,
      url: exporter.url,
      target: target.name,
      sources: exporter.sources,
      intervalSeconds,
    });
    context.out.print(
      `Pool exporter of "${target.name}" on ${redactUrl(exporter.url)} (${exporter.sources.join(', ')}, every ${intervalSeconds} s). Ctrl-C stops it.`,
    );
    const interrupt = waitForInterrupt();
    try {
      await interrupt.received;
    } finally {
      interrupt.dispose();
    }
  } finally {
    await exporter.stop();
  }
  return ExitCode.ok;
};
