/** Runs the planned launch steps one after another: a step that throws becomes a FAIL row and the next step still runs. */
import { isPreflightError, PreflightError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { LaunchStep, StepContext, StepStatus } from './steps.js';

/** A launch step as planned from --only/--skip/--allow-skip. */
export interface PlannedStep {
  step: LaunchStep;
  /** False when --skip (or --only) leaves the step out. */
  selected: boolean;
  /** --allow-skip names it: skipped or not run, it does not hold the verdict back. */
  allowSkip: boolean;
}

export interface StepError {
  code: string;
  message: string;
  hint?: string;
}

export interface StepReport {
  step: string;
  status: StepStatus;
  /** One line for the verdict table (for a skipped or not-run step: the reason). */
  summary: string;
  durationMs: number;
  /** Set when the step threw. */
  error?: StepError;
  /** A skipped or not-run step that --allow-skip accepts. */
  allowed: boolean;
  details?: unknown;
}

export interface RunStepsHooks {
  onStart?(step: LaunchStep): void;
  onEnd?(report: StepReport): void;
  /** Detail of an unexpected exception (its stack), for --verbose. */
  onInternalError?(step: LaunchStep, error: unknown): void;
}

/** Checks the step names of --only, --skip and --allow-skip and plans every step; unknown names are E_USAGE. */
export function planSteps(
  steps: LaunchStep[],
  options: { only?: string[]; skip?: string[]; allowSkip?: string[] } = {},
): PlannedStep[] {
  const { only = [], skip = [], allowSkip = [] } = options;
  const names = steps.map((s) => s.name);
  for (const [option, values] of [
    ['--only', only],
    ['--skip', skip],
    ['--allow-skip', allowSkip],
  ] as const) {
    const unknown = values.find((name) => !names.includes(name));
    if (unknown !== undefined) {
      throw new PreflightError('E_USAGE', `Unknown launch step "${unknown}" in ${option}`, {
        hint: `steps: ${names.join(', ')}`,
      });
    }
  }
  return steps.map((step) => ({
    step,
    selected: (only.length === 0 || only.includes(step.name)) && !skip.includes(step.name),
    allowSkip: allowSkip.includes(step.name),
  }));
}

/** The error code, message and hint of anything a step threw, redacted. */
export function describeStepError(error: unknown): StepError {
  if (isPreflightError(error)) {
    return {
      code: error.code,
      message: redact(error.message),
      ...(error.hint ? { hint: redact(error.hint) } : {}),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'E_INTERNAL', message: redact(message) };
}

/** The row of a step that --skip or --only leaves out. */
export function reportSkippedStep({ step, allowSkip }: PlannedStep): StepReport {
  return {
    step: step.name,
    status: 'skip',
    summary: allowSkip ? 'skipped (allowed by --allow-skip)' : 'skipped (--skip or --only)',
    durationMs: 0,
    allowed: allowSkip,
  };
}

/** Runs every selected step in order; skipped steps become `skip` rows. Never throws for a step's failure. */
export async function runLaunchSteps(
  planned: PlannedStep[],
  context: StepContext,
  hooks: RunStepsHooks = {},
): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const { step, selected, allowSkip } of planned) {
    if (!selected) {
      const report = reportSkippedStep({ step, selected, allowSkip });
      reports.push(report);
      hooks.onEnd?.(report);
      continue;
    }
    hooks.onStart?.(step);
    const started = performance.now();
    let report: StepReport;
    try {
      const result = await step.run(context);
      report = {
        step: step.name,
        status: result.status,
        summary: result.summary,
        durationMs: performance.now() - started,
        allowed: allowSkip && (result.status === 'skip' || result.status === 'not-run'),
        ...(result.details === undefined ? {} : { details: result.details }),
      };
    } catch (thrown) {
      const error = describeStepError(thrown);
      if (!isPreflightError(thrown)) hooks.onInternalError?.(step, thrown);
      report = {
        step: step.name,
        status: 'fail',
        summary: `${error.code}: ${firstLine(error.message)}`,
        durationMs: performance.now() - started,
        error,
        allowed: false,
      };
    }
    reports.push(report);
    hooks.onEnd?.(report);
  }
  return reports;
}

export interface LaunchVerdict {
  ready: boolean;
  failed: string[];
  /** Skipped or not-run steps that --allow-skip does not accept. */
  notRun: string[];
  /** Skipped or not-run steps that --allow-skip accepts. */
  allowed: string[];
  passed: string[];
}

/** READY only when at least one step passed, none failed, and every step that did not run is allowed. */
export function decideVerdict(reports: StepReport[]): LaunchVerdict {
  const names = (keep: (r: StepReport) => boolean) => reports.filter(keep).map((r) => r.step);
  const didNotRun = (r: StepReport) => r.status === 'skip' || r.status === 'not-run';
  const failed = names((r) => r.status === 'fail');
  const notRun = names((r) => didNotRun(r) && !r.allowed);
  const allowed = names((r) => didNotRun(r) && r.allowed);
  const passed = names((r) => r.status === 'pass');
  return {
    ready: failed.length === 0 && notRun.length === 0 && passed.length > 0,
    failed,
    notRun,
    allowed,
    passed,
  };
}

/** The verdict line: READY, or NOT READY with what failed and what did not run. */
export function formatVerdict(verdict: LaunchVerdict, targetName: string): string {
  if (verdict.ready) {
    const allowed = verdict.allowed.length
      ? ` (not run, allowed by --allow-skip: ${verdict.allowed.join(', ')})`
      : '';
    return `READY: every launch check that ran passed on "${targetName}"${allowed}.`;
  }
  if (verdict.passed.length === 0 && verdict.failed.length === 0 && verdict.notRun.length === 0) {
    return `NOT READY: no launch check ran on "${targetName}" (every step was skipped).`;
  }
  const parts = [
    verdict.failed.length ? `failed: ${verdict.failed.join(', ')}` : '',
    verdict.notRun.length
      ? `not run: ${verdict.notRun.join(', ')} (accept with --allow-skip ${verdict.notRun.join(',')})`
      : '',
  ].filter(Boolean);
  const counts = [
    verdict.notRun.length ? `${verdict.notRun.length} not run` : '',
    verdict.failed.length ? `${verdict.failed.length} failed` : '',
  ].filter(Boolean);
  return `NOT READY (${counts.join(', ')}) on "${targetName}": ${parts.join('; ')}.`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
