/** The `preflight doctor` handler. */
import type { Handler } from '../../core/cli/define.js';
import { formatDoctorReport } from './format.js';
import { runDoctor } from './run.js';

export const doctorCommand: Handler<{ timeout: number }> = async (argv, context) => {
  context.out.info('doctor: checking tools and the target...');
  const report = await runDoctor({
    env: context.env,
    cwd: context.cwd,
    loadConfig: () => context.loadConfig(),
    resolveTarget: (name) => context.resolveTarget(name),
    targetName: argv.target,
    timeoutMs: argv.timeout * 1000,
  });
  context.out.result(report);
  context.out.print(formatDoctorReport(report, context.out.paint));
  return report.exitCode;
};
