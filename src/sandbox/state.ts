/** The running sandbox's state file (.preflight/sandbox/state.json): how every command finds the twin. */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSandboxDir } from '../core/home.js';

import type { AccountRole } from '../core/target.js';

export type { AccountRole };

export interface SandboxAccount {
  email: string;
  password: string;
  role: 'student' | 'instructor' | 'admin';
}

export interface SandboxState {
  version: 1;
  /** The process that owns the API and the cluster. */
  pid: number;
  startedAt: string;
  baseUrl: string;
  apiPort: number;
  /** The frontend origin the twin's CORS and CSRF checks allow. */
  origin: string;
  db: {
    host: string;
    port: number;
    database: string;
    dataDir: string;
    adminUrl: string;
    readonlyUrl: string;
  };
  accounts: Record<AccountRole, SandboxAccount>;
  rateLimitBypass: { header: string; token: string };
  weaken: string[];
  poolSize: number;
  poolTimeoutMs: number;
  /** Seeded students sharing one password, for load scenarios (at least 100). */
  loadTestStudents: { emails: string[]; password: string };
  /** Basic auth of the metrics endpoints (Supabase-like endpoint: user `service_role`, same password). */
  metricsAuth: { username: string; password: string };
  /** When the seed was last restored by `sandbox reset` (set by the sandbox process). */
  resetAt?: string;
}

export function getSandboxStatePath(dir = getSandboxDir()): string {
  return join(dir, 'state.json');
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the state of a running sandbox; undefined when none runs (a stale file is reported as stale). */
export function readSandboxState(dir = getSandboxDir()): { state: SandboxState; alive: boolean } | undefined {
  const path = getSandboxStatePath(dir);
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
    return { state, alive: isProcessAlive(state.pid) };
  } catch {
    return undefined;
  }
}

/** Writes the state atomically (temporary file + rename), so readers never see half a file. */
export function writeSandboxState(state: SandboxState, dir = getSandboxDir()): void {
  const path = getSandboxStatePath(dir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeSandboxState(dir = getSandboxDir()): void {
  rmSync(getSandboxStatePath(dir), { force: true });
}
