/**
 * The one process helper: every external tool (k6, pg_dump, pg_restore, pg_basebackup, promtool,
 * terraform, initdb, pg_ctl, ...) runs through here, on zx. Failures become ToolError with the
 * command, exit code (and its name), signal, stderr tail and duration; a missing binary becomes
 * E_TOOL_MISSING with an install hint.
 */
import { spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ProcessPromise, type Options as ZxOptions, defaults as zxDefaults } from 'zx';
import { PreflightError } from './errors.js';
import { redact } from './redact.js';

/** Names for exit codes that tools document. */
export const knownExitCodes: Record<string, Record<number, string>> = {
  k6: {
    99: 'thresholds failed',
    100: 'setup timeout',
    101: 'teardown timeout',
    103: 'generic timeout',
    104: 'invalid config',
    105: 'interrupted by signal',
    107: 'script exception',
    108: 'aborted by script (test.abort)',
    109: 'aborted: thresholds failed (abortOnFail)',
  },
  promtool: { 1: 'check failed' },
  terraform: { 1: 'error', 2: 'changes present (detailed-exitcode)' },
};

/** Where each tool comes from, for E_TOOL_MISSING hints. */
export const installHints: Record<string, string> = {
  k6: 'install k6 from https://grafana.com/docs/k6/latest/set-up/install-k6/ or set K6_BIN; preflight falls back to its native engine',
  pg_dump: 'apt-get install postgresql-client (pg_dump major version must be >= the server)',
  pg_restore: 'apt-get install postgresql-client',
  psql: 'apt-get install postgresql-client',
  pg_basebackup: 'apt-get install postgresql-client',
  initdb: 'apt-get install postgresql (server binaries live in /usr/lib/postgresql/<major>/bin)',
  pg_ctl: 'apt-get install postgresql (server binaries live in /usr/lib/postgresql/<major>/bin)',
  postgres: 'apt-get install postgresql',
  pgbench: 'apt-get install postgresql-contrib or postgresql',
  promtool: 'apt-get install prometheus (ships promtool)',
  prometheus: 'apt-get install prometheus',
  pushgateway: 'apt-get install prometheus-pushgateway',
  'prometheus-pushgateway': 'apt-get install prometheus-pushgateway',
  pgbouncer: 'apt-get install pgbouncer',
  terraform: 'install Terraform or OpenTofu (tofu) and put it on PATH, or set TERRAFORM_BIN',
  cdktn: 'npm install --save-dev cdktn-cli (and Terraform on PATH)',
  age: 'apt-get install age',
  chromium: 'apt-get install chromium',
};

export interface RunAs {
  uid: number;
  gid: number;
}

export interface ToolRunOptions {
  cwd?: string;
  /** Added to (not replacing) the current environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  input?: string | Buffer | Readable;
  /** Ends the tool after this long (as `kill()` does); the ToolError then says `timedOut`. */
  timeoutMs?: number;
  /** Aborting ends the tool (as `kill()` does). */
  signal?: AbortSignal;
  /** The signal that ends the tool on timeout, abort or `kill()` without an argument (default SIGTERM). */
  killSignal?: NodeJS.Signals;
  /** SIGKILL a tool still running this long after it was sent `killSignal` (default 5000; 0 never). */
  forceKillAfterMs?: number;
  /** Run as another user (PostgreSQL refuses to run as root). */
  runAs?: RunAs;
  /** Exit codes that are not failures (the result carries them). */
  allowExitCodes?: number[];
  /** Stream stdout here instead of buffering it; only a tail is kept for errors. */
  stdoutTo?: Writable;
  /** Extra directories searched before PATH. */
  searchDirs?: string[];
  /** Keep at most this many bytes of stdout/stderr in memory (default 8 MiB). */
  maxBufferBytes?: number;
}

export interface ToolResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A tool ran and failed: carries everything the result would, plus the cause. */
export class ToolError extends PreflightError {
  readonly command: string;
  readonly toolExitCode: number | null;
  readonly exitName: string | undefined;
  readonly signal: string | null;
  readonly stderrTail: string;
  readonly stdoutTail: string;
  readonly durationMs: number;
  readonly timedOut: boolean;

  constructor(fields: {
    tool: string;
    command: string;
    exitCode: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    durationMs: number;
    timedOut: boolean;
    hint?: string;
  }) {
    const exitName = fields.exitCode === null ? undefined : knownExitCodes[fields.tool]?.[fields.exitCode];
    const how = fields.timedOut
      ? `timed out after ${fields.durationMs} ms`
      : fields.signal
        ? `was killed by ${fields.signal}`
        : `exited with code ${fields.exitCode}${exitName ? ` (${exitName})` : ''}`;
    const stderrTail = tail(redact(fields.stderr), 2000);
    super('E_TOOL_FAILED', `${redact(fields.command)} ${how}${stderrTail ? `\n${stderrTail}` : ''}`, {
      hint: fields.hint,
    });
    this.name = 'ToolError';
    this.command = redact(fields.command);
    this.toolExitCode = fields.exitCode;
    this.exitName = exitName;
    this.signal = fields.signal;
    this.stderrTail = stderrTail;
    this.stdoutTail = tail(redact(fields.stdout), 2000);
    this.durationMs = fields.durationMs;
    this.timedOut = fields.timedOut;
  }
}

function tail(text: string, max: number): string {
  const trimmed = text.trimEnd();
  return trimmed.length > max ? `...${trimmed.slice(-max)}` : trimmed;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Finds a tool's executable, or returns undefined. */
export function findTool(tool: string, searchDirs: string[] = []): string | undefined {
  if (isAbsolute(tool) || tool.includes('/')) return isExecutable(tool) ? tool : undefined;
  const dirs = [...searchDirs, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds a tool or throws E_TOOL_MISSING with the install hint. */
export function resolveTool(tool: string, searchDirs: string[] = []): string {
  const found = findTool(tool, searchDirs);
  if (found) return found;
  const base = tool.split('/').pop() ?? tool;
  throw new PreflightError('E_TOOL_MISSING', `Required tool \`${tool}\` was not found`, {
    hint: installHints[base] ?? `install ${base} and put it on PATH`,
    details: { tool },
  });
}

/** Keeps only the newest chunks so a long-running tool cannot fill memory. */
class TailChunks extends Array<string | Buffer> {
  private bytes = 0;
  limit = 8 * 1024 * 1024;

  override push(...chunks: Array<string | Buffer>): number {
    for (const chunk of chunks) {
      super.push(chunk);
      this.bytes += chunk.length;
    }
    while (this.bytes > this.limit && this.length > 1) {
      const dropped = this.shift();
      this.bytes -= dropped?.length ?? 0;
    }
    return this.length;
  }
}

function createStore(limit: number) {
  const make = () => {
    const chunks = new TailChunks();
    chunks.limit = limit;
    return chunks;
  };
  return { stdout: make(), stderr: make(), stdall: make() };
}

function formatCommand(path: string, args: string[]): string {
  return [path, ...args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export interface RunningTool {
  readonly command: string;
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves with the result, or rejects with ToolError. */
  readonly result: Promise<ToolResult>;
  /** Sends `signal` (default: the `killSignal` option), then SIGKILL after `forceKillAfterMs` if it still runs. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const execPieces = Object.assign(['exec ', ' ', ''], { raw: ['exec ', ' ', ''] }) as TemplateStringsArray;

/**
 * Creates zx's process for `exec <path> <args>` from zx's defaults plus `options`, for this call only. `$(options)`
 * would do the same inside zx's AsyncLocalStorage, which (on Node 20 and 22) switches on promise hooks for the rest of
 * the process and slows every later promise, the load engine's included; and setting zx's global `defaults` for the
 * call would leak into any other zx user. So the call's snapshot of the options (what `$` builds from its defaults
 * and hands to `ProcessPromise`) is built here and given to `ProcessPromise` directly.
 */
function createProcess(options: Partial<ZxOptions>, path: string, args: string[]): ProcessPromise {
  const snapshot = {
    ...zxDefaults,
    ...options,
    ac: new AbortController(),
    ee: new EventEmitter(),
    from: 'src/core/process.ts',
    pieces: execPieces,
    args: [path, args],
    cmd: '',
  };
  // zx reads the snapshot from the executor under its (unexported) `snapshot` symbol
  const executor = new Proxy(() => undefined, {
    get: (target, key) =>
      typeof key === 'symbol' && key.description === 'snapshot' ? snapshot : Reflect.get(target, key),
  });
  const child = new ProcessPromise(executor as ConstructorParameters<typeof ProcessPromise>[0]);
  return child.run();
}

function checkOptions(options: ToolRunOptions): void {
  for (const key of ['timeoutMs', 'forceKillAfterMs', 'maxBufferBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      throw new PreflightError(
        'E_INTERNAL',
        `Expected \`${key}\` to be a non-negative integer, got \`${String(value)}\``,
      );
  }
}

/** Starts a tool and returns at once; `result` settles when it exits. */
export function startTool(tool: string, args: string[], options: ToolRunOptions = {}): RunningTool {
  checkOptions(options);
  const path = resolveTool(tool, options.searchDirs);
  const name = (tool.split('/').pop() ?? tool).replace(/\.exe$/, '');
  const command = formatCommand(path, args);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const runAs = options.runAs;
  const spawn = runAs
    ? (((cmd: string, spawnArgs: readonly string[], spawnOptions: SpawnOptions) =>
        nodeSpawn(cmd, spawnArgs, { ...spawnOptions, uid: runAs.uid, gid: runAs.gid })) as typeof nodeSpawn)
    : nodeSpawn;
  const started = Date.now();
  const limit = options.maxBufferBytes ?? 8 * 1024 * 1024;
  const killSignal = options.killSignal ?? 'SIGTERM';
  const forceKillAfterMs = options.forceKillAfterMs ?? 5000;
  const child = createProcess(
    {
      cwd: options.cwd,
      env,
      quiet: true,
      nothrow: true,
      verbose: false,
      input: options.input,
      spawn,
      store: createStore(options.stdoutTo ? 64 * 1024 : limit),
    },
    path,
    args,
  );
  if (options.stdoutTo) child.stdout.pipe(options.stdoutTo, { end: false });

  let exited = false;
  let timedOut = false;
  let forceKillTimer: NodeJS.Timeout | undefined;
  const sendSignal = async (signal: NodeJS.Signals) => {
    if (exited) return;
    try {
      await child.kill(signal);
    } catch {
      // it exited in the meantime (zx throws, synchronously or not, when there is nothing left to kill)
    }
  };
  const kill = async (signal: NodeJS.Signals = killSignal) => {
    if (signal !== 'SIGKILL' && forceKillAfterMs > 0 && !exited && !forceKillTimer)
      forceKillTimer = setTimeout(() => void sendSignal('SIGKILL'), forceKillAfterMs);
    await sendSignal(signal);
  };
  const timeoutTimer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          void kill();
        }, options.timeoutMs);
  const onAbort = () => void kill();
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const result = (async (): Promise<ToolResult> => {
    const output = await child;
    exited = true;
    clearTimeout(timeoutTimer);
    clearTimeout(forceKillTimer);
    options.signal?.removeEventListener('abort', onAbort);
    const durationMs = Date.now() - started;
    const exitCode = output.exitCode;
    const ok = exitCode === 0 || (exitCode !== null && (options.allowExitCodes ?? []).includes(exitCode));
    if (ok)
      return { command, exitCode: exitCode ?? 0, stdout: output.stdout, stderr: output.stderr, durationMs };
    throw new ToolError({
      tool: name,
      command,
      exitCode,
      signal: output.signal,
      stdout: output.stdout,
      stderr: output.stderr,
      durationMs,
      timedOut,
    });
  })();
  result.catch(() => undefined);

  return {
    command,
    get pid() {
      return child.child?.pid;
    },
    stdout: child.stdout,
    stderr: child.stderr,
    result,
    kill,
  };
}

/** Runs a tool to completion. */
export async function runTool(
  tool: string,
  args: string[],
  options: ToolRunOptions = {},
): Promise<ToolResult> {
  return startTool(tool, args, options).result;
}
