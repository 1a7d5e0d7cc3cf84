/** Exit codes shared by every command (documented in README and docs/reference.md). */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  targetUnreachable: 3,
  toolMissing: 4,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Short string codes that tests and scripts match on. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_TARGET_UNREACHABLE'
  | 'E_TARGET_NOT_ALLOWED'
  | 'E_TOOL_MISSING'
  | 'E_TOOL_FAILED'
  | 'E_CHECK_FAILED'
  | 'E_PORT_IN_USE'
  | 'E_SANDBOX'
  | 'E_K6_THRESHOLDS'
  | 'E_K6_SCRIPT'
  | 'E_UNSUPPORTED_API'
  | 'E_BACKUP'
  | 'E_BACKUP_INTEGRITY'
  | 'E_STORAGE'
  | 'E_DECRYPT'
  | 'E_DISK_FULL'
  | 'E_MONITORING'
  | 'E_WAL'
  | 'E_WAL_INTEGRITY'
  | 'E_RECOVERY_TARGET'
  | 'E_RESTORE'
  | 'E_POOL'
  | 'E_REPORT'
  | 'E_INTERNAL';

const exitCodeByErrorCode: Record<ErrorCode, ExitCodeValue> = {
  E_USAGE: ExitCode.usage,
  E_CONFIG: ExitCode.usage,
  E_TARGET_UNREACHABLE: ExitCode.targetUnreachable,
  E_TARGET_NOT_ALLOWED: ExitCode.usage,
  E_TOOL_MISSING: ExitCode.toolMissing,
  E_TOOL_FAILED: ExitCode.checkFailed,
  E_CHECK_FAILED: ExitCode.checkFailed,
  E_PORT_IN_USE: ExitCode.usage,
  E_SANDBOX: ExitCode.checkFailed,
  E_K6_THRESHOLDS: ExitCode.checkFailed,
  E_K6_SCRIPT: ExitCode.usage,
  E_UNSUPPORTED_API: ExitCode.usage,
  E_BACKUP: ExitCode.checkFailed,
  E_BACKUP_INTEGRITY: ExitCode.checkFailed,
  E_STORAGE: ExitCode.checkFailed,
  E_DECRYPT: ExitCode.checkFailed,
  E_DISK_FULL: ExitCode.checkFailed,
  E_MONITORING: ExitCode.checkFailed,
  E_WAL: ExitCode.checkFailed,
  E_WAL_INTEGRITY: ExitCode.checkFailed,
  E_RECOVERY_TARGET: ExitCode.usage,
  E_RESTORE: ExitCode.checkFailed,
  E_POOL: ExitCode.checkFailed,
  E_REPORT: ExitCode.checkFailed,
  E_INTERNAL: ExitCode.internal,
};

export interface PreflightErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCodeValue;
  details?: Record<string, unknown>;
}

/** An expected failure with a code, a one-line message and a hint that tells the user the fix. */
export class PreflightError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PreflightErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PreflightError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? exitCodeByErrorCode[code];
    this.details = options.details ?? {};
  }
}

export function isPreflightError(error: unknown): error is PreflightError {
  return error instanceof PreflightError;
}

export function usageError(message: string, hint?: string): PreflightError {
  return new PreflightError('E_USAGE', message, { hint });
}

/** Runs every cleanup, collecting failures instead of losing them (citty's rule). */
export async function runCleanups(cleanups: Array<() => Promise<void> | void>): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} cleanup steps failed`);
}
