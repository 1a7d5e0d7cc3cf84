/**
 * `preflight launch`: the launch-readiness run. Starts the sandbox when it is the target and not running, runs every
 * step (a step that throws is a FAIL row, the next one still runs) and writes launch.json beside the step reports.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../../core/cli/define.js';
import { ExitCode, PreflightError, runCleanups } from '../../core/errors.js';
import { getPreflightHome } from '../../core/home.js';
import { formatDuration, formatTable, type Paint } from '../../core/output.js';
import { redact, redactValue } from '../../core/redact.js';
import type { WrittenReport } from '../../core/report-hook.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt, untilAborted } from '../../core/signals.js';
import { SANDBOX_TARGET } from '../../core/target.js';
import { writeReport } from '../../report/write.js';
import { readSandboxState } from '../../sandbox/state.js';
import {
  decideVerdict,
  formatVerdict,
  type PlannedStep,
  planSteps,
  reportSkippedStep,
  runLaunchSteps,
  type StepReport,
} from './runner.js';
import { launchSteps, type StepStatus } from './steps.js';

export interface LaunchArgs {
  skip?: string[];
  only?: string[];
  allowSkip?: string[];
  weaken?: string[];
  summaryMd?: string;
}

export const launchCommand: Handler<LaunchArgs> = async (argv, context) => {
  const { out } = context;
  const planned = planSteps(launchSteps, { only: argv.only, skip: argv.skip, allowSkip: argv.allowSkip });
  const config = context.loadConfig().config;
  const targetName = argv.target ?? config.defaultTarget;
  const usesBuiltInSandbox = targetName === SANDBOX_TARGET && !config.targets[SANDBOX_TARGET];
  if (argv.weaken?.length && !usesBuiltInSandbox) {
    throw new PreflightError('E_USAGE', '--weaken applies only to the sandbox target');
  }
  if (!usesBuiltInSandbox && !config.targets[targetName]) context.resolveTarget(targetName);
  const cleanups: Array<() => Promise<void>> = [];
  // Ctrl-C: the steps stop (a running step is left behind, the load scenarios stop), the sandbox is stopped by the
  // cleanups below and launch exits 130; a second Ctrl-C forces the cleanups and exits at once
  const interrupt = onInterrupt(new AbortController(), {
    onFirst: () => out.warn('launch: interrupted, stopping the sandbox... (Ctrl-C again to force)'),
    onSecond: () => runCleanups(cleanups),
  });
  try {
    const workDir = join(
      getPreflightHome(context.env, context.cwd),
      'launch',
      new Date().toISOString().replace(/[:.]/g, '-'),
    );
    let reports: StepReport[];
    if (planned.some((p) => p.selected)) {
      if (usesBuiltInSandbox) await useSandbox(argv, context, cleanups);
      const target = context.resolveTarget(targetName);
      mkdirSync(workDir, { recursive: true });
      out.info(`launch: ${countSelected(planned)} checks against "${target.name}" (${target.apiBase})`);
      reports = await untilAborted(
        runLaunchSteps(
          planned,
          { target, out, workDir, config, env: context.env, signal: interrupt.signal },
          {
            onStart: (step) => out.info(`\n== ${step.name}: ${step.describe}`),
            onEnd: (r) => out.info(`== ${r.step}: ${statusLabel(r.status)} (${r.summary})`),
            onInternalError: (step, error) =>
              out.debug(
                `${step.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
              ),
          },
        ),
        interrupt.signal,
      );
    } else {
      // nothing to run: no sandbox to start, only the verdict to write
      mkdirSync(workDir, { recursive: true });
      reports = planned.map(reportSkippedStep);
    }
    const verdict = decideVerdict(reports);
    const reportPath = join(workDir, 'launch.json');
    const summary = redactValue({
      ok: verdict.ready,
      verdict: verdict.ready ? 'READY' : 'NOT READY',
      target: targetName,
      workDir,
      report: reportPath,
      failed: verdict.failed,
      notRun: verdict.notRun,
      allowedNotRun: verdict.allowed,
      steps: reports,
    });
    writeFileSync(reportPath, `${JSON.stringify(summary, null, 2)}\n`);
    const html = await writeLaunchReport(workDir, argv, context);
    out.result({ ...summary, html: html?.html ?? null, summaryMd: html?.markdown ?? [] });
    const paint = out.paint;
    out.print(
      `\n${formatTable(
        ['check', 'verdict', 'time', 'summary'],
        reports.map((r) => [
          r.step,
          paintStatus(paint, r.status),
          r.status === 'skip' ? '-' : formatDuration(r.durationMs),
          r.summary,
        ]),
      )}\n\n${(verdict.ready ? paint.green : paint.red)(formatVerdict(verdict, targetName))}\nFiles:  ${workDir}\nReport: ${reportPath}${
        html ? `\nHTML:   ${html.html}\n        ${pathToFileURL(html.html)}` : ''
      }${html?.markdown.map((md) => `\nSummary: ${md}`).join('') ?? ''}`,
    );
    return verdict.ready ? ExitCode.ok : ExitCode.checkFailed;
  } catch (error) {
    if (interrupt.received) return INTERRUPTED_EXIT_CODE;
    throw error;
  } finally {
    interrupt.dispose();
    await runCleanups(cleanups);
  }
};

/** Writes report.html (and the Markdown summary); a report that cannot be built is a warning, not a lost verdict. */
async function writeLaunchReport(
  workDir: string,
  argv: LaunchArgs,
  context: Parameters<Handler<LaunchArgs>>[1],
): Promise<WrittenReport | undefined> {
  try {
    return await writeReport({
      dir: workDir,
      summaryMd: argv.summaryMd ? resolve(context.cwd, argv.summaryMd) : undefined,
      env: context.env,
    });
  } catch (error) {
    context.out.warn(
      `launch: the HTML report could not be written: ${redact(String((error as Error).message ?? error))}`,
    );
    return undefined;
  }
}

/** Uses the running sandbox, or starts one for this run (stopped by the cleanups). */
async function useSandbox(
  argv: LaunchArgs,
  context: Parameters<Handler<LaunchArgs>>[1],
  cleanups: Array<() => Promise<void>>,
): Promise<void> {
  const { out } = context;
  const running = readSandboxState();
  if (running?.alive) {
    if (argv.weaken?.length) {
      throw new PreflightError(
        'E_USAGE',
        'A sandbox is already running; --weaken applies only to a sandbox that launch starts',
        { hint: 'stop it with `preflight sandbox down`, or drop --weaken' },
      );
    }
    out.info(`launch: using the running sandbox at ${running.state.baseUrl}`);
    return;
  }
  const { startSandbox } = await import('../../sandbox/index.js');
  out.info('launch: starting the sandbox (PostgreSQL + API twin)...');
  const sandbox = await startSandbox({ weaken: argv.weaken, log: (m) => out.info(`  ${m}`) });
  cleanups.push(() => sandbox.stop());
}

function countSelected(planned: PlannedStep[]): number {
  return planned.filter((p) => p.selected).length;
}

function statusLabel(status: StepStatus): string {
  return status === 'not-run' ? 'NOT RUN' : status.toUpperCase();
}

function paintStatus(paint: Paint, status: StepStatus): string {
  const label = statusLabel(status);
  return status === 'pass' ? paint.green(label) : status === 'fail' ? paint.red(label) : paint.yellow(label);
}
