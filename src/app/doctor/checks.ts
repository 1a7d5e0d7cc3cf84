/** What a doctor check is, and the exit code a set of checks adds up to. */
import { ExitCode } from '../../core/errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'missing';

export interface DoctorCheck {
  /** Stable id scripts match on: "node", "postgresql", "pg_dump", "k6", "target-health", ... */
  id: string;
  group: 'runtime' | 'postgresql' | 'optional' | 'target';
  name: string;
  status: CheckStatus;
  /** Required checks that are missing or failing make doctor exit 4. */
  required: boolean;
  version: string | null;
  detail: string;
  /** How to fix it; null when nothing needs fixing. */
  hint: string | null;
}

export interface DoctorReport {
  ok: boolean;
  exitCode: number;
  /** The target checked, and whether it was named with --target. */
  target: { name: string; explicit: boolean } | null;
  checks: DoctorCheck[];
  /** Checks whose status is not ok. */
  problems: DoctorCheck[];
}

/** 4 when a required tool is missing; 3 when an explicitly named target does not answer; 2 for a bad config; else 0. */
export function decideExitCode(checks: DoctorCheck[], explicitTarget: boolean): number {
  const bad = (c: DoctorCheck) => c.status === 'fail' || c.status === 'missing';
  if (checks.some((c) => c.required && bad(c) && c.group !== 'target')) return ExitCode.toolMissing;
  if (checks.some((c) => c.id === 'config' && bad(c))) return ExitCode.usage;
  if (explicitTarget && checks.some((c) => c.group === 'target' && c.id !== 'pg_dump-compat' && bad(c))) {
    return ExitCode.targetUnreachable;
  }
  if (checks.some((c) => c.id === 'pg_dump-compat' && bad(c))) return ExitCode.toolMissing;
  return ExitCode.ok;
}

/** Major version of "15.18", "v20.11.1", "18beta1". */
export function readMajor(version: string | null): number | null {
  const m = version === null ? null : /(\d+)/.exec(version);
  return m ? Number(m[1]) : null;
}
