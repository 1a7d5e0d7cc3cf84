/** `preflight load capacity <scenario> --slo ...`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../../src/core/cli/define.js';
import { usageError } from '../../src/core/errors.js';
import { redactValue } from '../../src/core/redact.js';
import { type WrittenReport, writeReportIfRegistered } from '../../src/core/report-hook.js';
import { onInterrupt } from '../../src/core/signals.js';
import { parseEnvFlags } from '../commands.js';
import { createRunId } from '../engine/outputs/results.js';
import type { EngineChoice } from '../engine/run.js';
import { type CapacityResult, searchCapacity } from './capacity.js';
import { resolveMetricsAuth } from './metrics-auth.js';
import { formatCapacityReport } from './report.js';

interface CapacityArgs {
  scenario: string;
  slo: string;
  minRps?: number;
  startRps?: number;
  maxRps?: number;
  stepDuration: string;
  env: string[];
  engine?: EngineChoice;
  workers: number;
  sampleInterval: number;
  resultsDir?: string;
  iUnderstandThisIsProduction: boolean;
}

export const loadCapacityCommand: Handler<CapacityArgs> = async (argv, context) => {
  const { out } = context;
  if (argv.minRps !== undefined && !(argv.minRps >= 0))
    throw usageError(`Expected \`--min-rps\` to be a number >= 0, got \`${argv.minRps}\``);
  const target = context.resolveTarget();
  const controller = new AbortController();
  const interrupt = onInterrupt(controller, {
    onFirst: () =>
      out.warn('interrupted: stopping after the current step (clean-up still runs; Ctrl-C again to force)'),
  });
  try {
    const result = await searchCapacity({
      scenario: argv.scenario,
      cwd: context.cwd,
      engine: argv.engine,
      target,
      env: parseEnvFlags(argv.env),
      workers: argv.workers,
      slo: argv.slo,
      minRps: argv.minRps,
      startRps: argv.startRps,
      maxRps: argv.maxRps,
      stepDuration: argv.stepDuration,
      sampleIntervalMs: argv.sampleInterval,
      acknowledgeProduction: argv.iUnderstandThisIsProduction,
      metricsAuth: resolveMetricsAuth(context, target),
      signal: controller.signal,
      processEnv: context.env,
      onNotice: (message) => out.info(message),
      onStep: (s) =>
        out.info(
          `step ${s.phase} ${s.targetRps} req/s: achieved ${s.achievedRps} req/s, ${s.observed.map((o) => `${o.clause.replace(/[<>=].*/, '')} ${o.value === undefined ? '-' : Math.round(o.value * 1000) / 1000}`).join(', ')} -> ${s.ok ? 'meets SLO' : s.reasons.join('; ')}`,
        ),
    });
    out.print(formatCapacityReport(result, out.paint));
    const report = argv.resultsDir
      ? await writeCapacityResults(result, resolve(context.cwd, argv.resultsDir), context.env)
      : undefined;
    if (report) out.print(`\nreport: ${report.html}\n        ${pathToFileURL(report.html)}`);
    out.result({ ...result, report: report?.html ?? null });
    return result.exitCode;
  } finally {
    interrupt.dispose();
  }
};

/** <results-dir>/<id>-capacity-<scenario>/capacity.json, and its report.html (the capacity curve) when the app registered one. */
async function writeCapacityResults(
  result: CapacityResult,
  resultsRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<WrittenReport | undefined> {
  const dir = join(resultsRoot, createRunId(`capacity-${result.scenario.replace(/^.*\//, '')}`));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'capacity.json'), `${JSON.stringify(redactValue(result), null, 2)}\n`);
  return writeReportIfRegistered({ dir, env });
}
