/** The launch checks, in order. Each step is a plain async function returning a verdict; capabilities are imported lazily. */
import type { Output } from '../output.js';
import type { ResolvedTarget } from '../target.js';

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepResult {
  status: StepStatus;
  /** One line for the verdict table. */
  summary: string;
  /** The capability's own report, for --json. */
  details?: unknown;
}

export interface StepContext {
  target: ResolvedTarget;
  out: Output;
  /** A scratch directory for this launch run (results, backups). */
  workDir: string;
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
    const { runSearchCheck } = await import('../search-check/index.js');
    const report = await runSearchCheck(target, { onProgress: (m) => out.info(m) });
    const rate = report.summary.constraintSatisfactionRate;
    const precision = rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
    const summary = `precision ${precision}, zero-result ${(report.summary.zeroResultRate * 100).toFixed(0)}% over ${report.summary.queries} queries${
      report.ok ? '' : `; failing: ${report.summary.failingQueries.slice(0, 3).join(', ')}`
    }`;
    return { status: report.ok ? 'pass' : 'fail', summary, details: report };
  },
};

export const launchSteps: LaunchStep[] = [searchCheckStep];
