/** `preflight launch`: the launch-readiness run. Starts the sandbox when it is the target and not running. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Handler } from '../cli/define.js';
import { ExitCode, PreflightError } from '../errors.js';
import { getPreflightHome } from '../home.js';
import { formatDuration, formatTable } from '../output.js';
import { readSandboxState } from '../sandbox/state.js';
import { SANDBOX_TARGET } from '../target.js';
import { type LaunchStep, launchSteps, type StepResult } from './steps.js';

export interface LaunchArgs {
  skip?: string[];
  only?: string[];
  weaken?: string[];
}

interface StepReport extends StepResult {
  step: string;
  durationMs: number;
}

/** Picks the steps to run; unknown names are a usage error naming the valid ones. */
export function selectSteps(steps: LaunchStep[], only: string[] = [], skip: string[] = []): LaunchStep[] {
  const names = steps.map((s) => s.name);
  for (const name of [...only, ...skip]) {
    if (!names.includes(name)) {
      throw new PreflightError('E_USAGE', `Unknown launch step "${name}"`, {
        hint: `steps: ${names.join(', ')}`,
      });
    }
  }
  return steps.filter((s) => (only.length === 0 || only.includes(s.name)) && !skip.includes(s.name));
}

export const launchCommand: Handler<LaunchArgs> = async (argv, context) => {
  const { out } = context;
  const steps = selectSteps(launchSteps, argv.only, argv.skip);
  const targetName = argv.target ?? context.loadConfig().config.defaultTarget;
  const cleanups: Array<() => Promise<void>> = [];
  const onSignal = () => out.warn('launch: interrupted, stopping the sandbox...');
  process.once('SIGINT', onSignal);
  try {
    if (targetName === SANDBOX_TARGET && !context.loadConfig().config.targets[SANDBOX_TARGET]) {
      const running = readSandboxState();
      if (running?.alive) {
        if (argv.weaken?.length) {
          throw new PreflightError(
            'E_USAGE',
            'A sandbox is already running; --weaken applies only to a sandbox that launch starts',
            {
              hint: 'stop it with `preflight sandbox down`, or drop --weaken',
            },
          );
        }
        out.info(`launch: using the running sandbox at ${running.state.baseUrl}`);
      } else {
        const { startSandbox } = await import('../sandbox/index.js');
        out.info('launch: starting the sandbox (PostgreSQL + API twin)...');
        const sandbox = await startSandbox({ weaken: argv.weaken, log: (m) => out.info(`  ${m}`) });
        cleanups.push(() => sandbox.stop());
        const stop = () => void sandbox.stop().finally(() => process.exit(130));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        cleanups.push(async () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        });
      }
    } else if (argv.weaken?.length) {
      throw new PreflightError('E_USAGE', '--weaken applies only to the sandbox target');
    }
    const target = context.resolveTarget(targetName);
    const workDir = join(
      getPreflightHome(context.env, context.cwd),
      'launch',
      new Date().toISOString().replace(/[:.]/g, '-'),
    );
    mkdirSync(workDir, { recursive: true });
    out.info(`launch: ${steps.length} checks against "${target.name}" (${target.apiBase})`);

    const reports: StepReport[] = [];
    for (const step of steps) {
      out.info(`\n== ${step.name}: ${step.describe}`);
      const started = Date.now();
      const result = await step.run({
        target,
        out,
        workDir,
        config: context.loadConfig().config,
        env: context.env,
      });
      reports.push({ step: step.name, durationMs: Date.now() - started, ...result });
      out.info(`== ${step.name}: ${result.status.toUpperCase()} (${result.summary})`);
    }
    const ok = reports.every((r) => r.status !== 'fail');
    out.result({ ok, target: target.name, workDir, steps: reports });
    const paint = out.paint;
    const verdict = (s: string) =>
      s === 'pass' ? paint.green('PASS') : s === 'fail' ? paint.red('FAIL') : paint.yellow('SKIP');
    out.print(
      `\n${formatTable(
        ['check', 'verdict', 'time', 'summary'],
        reports.map((r) => [r.step, verdict(r.status), formatDuration(r.durationMs), r.summary]),
      )}\n\n${
        ok
          ? paint.green(`READY: every launch check passed on "${target.name}".`)
          : paint.red(
              `NOT READY: ${reports
                .filter((r) => r.status === 'fail')
                .map((r) => r.step)
                .join(', ')} failed on "${target.name}".`,
            )
      }`,
    );
    return ok ? ExitCode.ok : ExitCode.checkFailed;
  } finally {
    process.off('SIGINT', onSignal);
    const { runCleanups } = await import('../errors.js');
    await runCleanups(cleanups);
  }
};
