/** Handlers of `preflight sandbox up|down|status|reset`. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Context } from '../core/cli/context.js';
import type { Handler } from '../core/cli/define.js';
import { ExitCode, PreflightError } from '../core/errors.js';
import { getSandboxDir } from '../core/home.js';
import { isPortInUse } from '../core/net.js';
import { formatDuration, formatTable } from '../core/output.js';
import { stopCluster } from '../core/pg/cluster.js';
import { waitForInterrupt } from '../core/signals.js';
import { resetDatabase } from './database.js';
import { clearStaleSandbox, isApiAnswering, startSandbox } from './index.js';
import {
  getSandboxStatePath,
  isProcessAlive,
  readSandboxState,
  type SandboxState,
  writeSandboxState,
} from './state.js';
import { validateWeaknesses } from './weaknesses.js';

interface UpArgs {
  detach: boolean;
  weaken?: string[];
  poolSize?: number;
  poolTimeoutMs?: number;
  port?: number;
  internalForeground: boolean;
}

const DETACH_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_FILE_NAME = 'sandbox.log';

function getDir(context: Context): string {
  return getSandboxDir(context.env, context.cwd);
}

function parseWeaken(values: string[] | undefined): string[] {
  return validateWeaknesses((values ?? []).flatMap((v) => String(v).split(',')));
}

/** What `up` prints: the sandbox's own throwaway credentials, unmasked on purpose (they exist only on this machine). */
export function describeSandbox(state: SandboxState, extra: Record<string, unknown> = {}) {
  return {
    ok: true,
    pid: state.pid,
    baseUrl: state.baseUrl,
    apiBase: `${state.baseUrl}/api/v1`,
    origin: state.origin,
    adminUrl: state.db.adminUrl,
    readonlyUrl: state.db.readonlyUrl,
    accounts: state.accounts,
    loadTestStudents: {
      count: state.loadTestStudents.emails.length,
      first: state.loadTestStudents.emails[0],
      password: state.loadTestStudents.password,
    },
    rateLimitBypass: state.rateLimitBypass,
    metricsAuth: state.metricsAuth,
    weaken: state.weaken,
    poolSize: state.poolSize,
    poolTimeoutMs: state.poolTimeoutMs,
    ...extra,
  };
}

function writeSummary(context: Context, state: SandboxState, extra: Record<string, unknown>): void {
  const summary = describeSandbox(state, extra);
  const rows = Object.entries(state.accounts).map(([role, a]) => [role, a.email, a.password]);
  // an artifact (raw): the throwaway local sandbox's connection details ARE the result, credentials included
  context.out.artifact(
    [
      `Sandbox running at ${state.baseUrl} (pid ${state.pid})`,
      `  API base:      ${summary.apiBase}`,
      `  Admin DB:      ${state.db.adminUrl}`,
      `  Read-only DB:  ${state.db.readonlyUrl}`,
      `  Origin (CSRF): ${state.origin}`,
      `  Bypass header: ${state.rateLimitBypass.header}: ${state.rateLimitBypass.token}`,
      `  Metrics auth:  ${state.metricsAuth.username}:${state.metricsAuth.password} (Supabase-like endpoint: service_role:${state.metricsAuth.password})`,
      `  Weakened:      ${state.weaken.length > 0 ? state.weaken.join(', ') : 'none (hardened)'}`,
      `  Load students: ${state.loadTestStudents.emails.length} (${state.loadTestStudents.emails[0]} ...), password ${state.loadTestStudents.password}`,
      '',
      formatTable(['account', 'email', 'password'], rows),
    ].join('\n'),
    { json: summary },
  );
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return waitForInterrupt(['SIGINT', 'SIGTERM', 'SIGHUP']).received;
}

async function runForeground(argv: UpArgs, context: Context, weaken: string[]): Promise<number> {
  const started = Date.now();
  const stopSignal = waitForStopSignal();
  const handle = await startSandbox({
    dir: getDir(context),
    weaken,
    poolSize: argv.poolSize,
    poolTimeoutMs: argv.poolTimeoutMs,
    apiPort: argv.port,
    log: (message) => context.out.info(message),
  });
  // `sandbox reset` from another shell signals SIGUSR2: restore the seed and forget limits, then say so in the state
  const onReset = () => {
    handle
      .reset()
      .then(() => writeSandboxState({ ...handle.state, resetAt: new Date().toISOString() }, getDir(context)))
      .catch((error: unknown) => context.out.warn(`reset failed: ${(error as Error).message}`));
  };
  process.on('SIGUSR2', onReset);
  try {
    if (argv.internalForeground) process.stderr.write(`sandbox ready: ${handle.state.baseUrl}\n`);
    else {
      writeSummary(context, handle.state, { startupMs: Date.now() - started });
      context.out.info('Stop with Ctrl-C (or `preflight sandbox down` from another shell).');
    }
    const signal = await stopSignal;
    context.out.info(`Received ${signal}: stopping the sandbox`);
  } finally {
    process.off('SIGUSR2', onReset);
    await handle.stop();
  }
  context.out.info('Sandbox stopped and its data removed.');
  return ExitCode.ok;
}

function readLogTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

async function runDetached(argv: UpArgs, context: Context, weaken: string[]): Promise<number> {
  const started = Date.now();
  const dir = getDir(context);
  await clearStaleSandbox(dir, (m) => context.out.info(m));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = join(dir, LOG_FILE_NAME);
  const args = ['sandbox', 'up', '--internal-foreground'];
  if (weaken.length > 0) args.push('--weaken', weaken.join(','));
  if (argv.poolSize !== undefined) args.push('--pool-size', String(argv.poolSize));
  if (argv.poolTimeoutMs !== undefined) args.push('--pool-timeout-ms', String(argv.poolTimeoutMs));
  if (argv.port !== undefined) args.push('--port', String(argv.port));
  const entry = process.argv[1];
  if (!entry)
    throw new PreflightError(
      'E_INTERNAL',
      'Cannot tell which script runs preflight, so cannot start it detached',
    );
  const fd = openSync(logFile, 'a', 0o600);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // our own entry point again, detached from this terminal (not an external tool, so not through runTool)
  const child = spawn(process.execPath, [...process.execArgv, entry, ...args], {
    cwd: context.cwd,
    env: context.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.unref();
  context.out.info(`Starting the sandbox in the background (pid ${child.pid}, log ${logFile})`);
  const deadline = Date.now() + DETACH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      throw new PreflightError(
        'E_SANDBOX',
        `The sandbox exited during startup (${exited.signal ?? `exit code ${exited.code}`}):\n${readLogTail(logFile)}`,
        {
          hint: `see ${logFile}`,
        },
      );
    }
    const found = readSandboxState(dir);
    if (found && found.state.pid === child.pid && (await isApiAnswering(found.state.baseUrl))) {
      writeSummary(context, found.state, {
        startupMs: Date.now() - started,
        logFile,
        stateFile: getSandboxStatePath(dir),
      });
      return ExitCode.ok;
    }
    await sleep(100);
  }
  if (child.pid) process.kill(child.pid, 'SIGTERM');
  throw new PreflightError(
    'E_SANDBOX',
    `The sandbox did not become healthy within ${formatDuration(DETACH_TIMEOUT_MS)}:\n${readLogTail(logFile)}`,
    {
      hint: `see ${logFile}; then \`preflight sandbox down\` to clean up`,
    },
  );
}

export const sandboxUpCommand: Handler<UpArgs> = async (argv, context) => {
  const weaken = parseWeaken(argv.weaken);
  if (argv.port !== undefined && (!Number.isInteger(argv.port) || argv.port < 1 || argv.port > 65_535)) {
    throw new PreflightError(
      'E_USAGE',
      `Expected \`--port\` to be an integer from 1 to 65535, got \`${argv.port}\``,
    );
  }
  if (argv.port !== undefined && (await isPortInUse(argv.port))) {
    throw new PreflightError('E_PORT_IN_USE', `Port ${argv.port} is already in use`, {
      hint: 'choose another with --port, or omit --port to use a free one',
    });
  }
  if (argv.detach && !argv.internalForeground) return runDetached(argv, context, weaken);
  return runForeground(argv, context, weaken);
};

/** The command line of a process (Linux), or undefined where /proc is not available. */
function readCommandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Guards against a reused pid and in-process sandboxes: the process must run `sandbox up` (or, without /proc, its API must answer). */
async function isSandboxProcess(pid: number, baseUrl: string): Promise<boolean> {
  const commandLine = readCommandLine(pid);
  if (commandLine) return commandLine.includes('sandbox') && commandLine.includes('up');
  return isApiAnswering(baseUrl);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(100);
  }
  return !isProcessAlive(pid);
}

export const sandboxDownCommand: Handler = async (_argv, context) => {
  const dir = getDir(context);
  const found = readSandboxState(dir);
  const actions: string[] = [];
  const ours =
    found?.alive &&
    found.state.pid !== process.pid &&
    (await isSandboxProcess(found.state.pid, found.state.baseUrl));
  if (found?.alive && !ours && (await isApiAnswering(found.state.baseUrl))) {
    // started in-process (by a test or a script): signalling it would stop that whole program
    throw new PreflightError(
      'E_SANDBOX',
      `The sandbox in ${dir} runs inside process ${found.state.pid}, not as \`sandbox up\``,
      {
        hint: 'stop it from the program that started it (SandboxHandle.stop())',
      },
    );
  }
  if (found && ours) {
    process.kill(found.state.pid, 'SIGTERM');
    actions.push(`sent SIGTERM to pid ${found.state.pid}`);
    if (!(await waitForExit(found.state.pid, STOP_TIMEOUT_MS))) {
      process.kill(found.state.pid, 'SIGKILL');
      await waitForExit(found.state.pid, 5000);
      actions.push(`killed pid ${found.state.pid}`);
    }
  }
  const dataDir = found?.state.db.dataDir ?? join(dir, 'pgdata');
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    await stopCluster(dataDir, 'immediate');
    actions.push('stopped a leftover PostgreSQL');
  }
  const existed = existsSync(dir);
  rmSync(dir, { recursive: true, force: true });
  if (existed) actions.push(`removed ${dir}`);
  const running = Boolean(found?.alive);
  context.out.result({ ok: true, wasRunning: running, actions });
  context.out.print(
    running
      ? `Sandbox stopped (${actions.join(', ')}).`
      : actions.length > 0
        ? `No sandbox was running; cleaned up (${actions.join(', ')}).`
        : 'No sandbox was running.',
  );
  return ExitCode.ok;
};

async function checkDatabase(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const sandboxStatusCommand: Handler = async (_argv, context) => {
  const dir = getDir(context);
  const found = readSandboxState(dir);
  if (!found?.alive) {
    const detail = found ? `stale state: pid ${found.state.pid} is not running` : 'not running';
    context.out.result({ ok: false, running: false, stale: Boolean(found), detail });
    context.out.print(
      `Sandbox ${detail}.${found ? ' `preflight sandbox down` cleans up; `up` does too.' : ' Start it with `preflight sandbox up --detach`.'}`,
    );
    return ExitCode.targetUnreachable;
  }
  const s = found.state;
  const api = await isApiAnswering(s.baseUrl);
  let ready = false;
  try {
    const response = await fetch(`${s.baseUrl}/api/v1/ready`, {
      headers: { [s.rateLimitBypass.header]: s.rateLimitBypass.token },
      signal: AbortSignal.timeout(5000),
    });
    ready = response.status === 200;
  } catch {
    ready = false;
  }
  const dbError = await checkDatabase(s.db.readonlyUrl);
  const healthy = api && ready && !dbError;
  const uptimeMs = Date.now() - Date.parse(s.startedAt);
  context.out.result({
    ok: healthy,
    running: true,
    healthy,
    pid: s.pid,
    baseUrl: s.baseUrl,
    uptimeMs,
    weaken: s.weaken,
    checks: { api, ready, database: dbError ? { ok: false, error: dbError } : { ok: true } },
  });
  context.out.print(
    formatTable(
      ['check', 'result'],
      [
        ['sandbox', `pid ${s.pid}, up ${formatDuration(uptimeMs)}, ${s.baseUrl}`],
        ['api /health', api ? 'ok' : 'not answering'],
        ['api /ready', ready ? 'ok' : 'not ready'],
        ['database', dbError ? `failed: ${dbError}` : `ok (${s.db.host}:${s.db.port}/${s.db.database})`],
        ['weakened', s.weaken.length > 0 ? s.weaken.join(', ') : 'none'],
      ],
    ),
  );
  if (healthy) return ExitCode.ok;
  return api ? ExitCode.checkFailed : ExitCode.targetUnreachable;
};

const RESET_TIMEOUT_MS = 60_000;

export const sandboxResetCommand: Handler = async (_argv, context) => {
  const dir = getDir(context);
  const found = readSandboxState(dir);
  if (!found?.alive) {
    throw new PreflightError('E_TARGET_UNREACHABLE', 'The sandbox is not running', {
      hint: 'start it with `preflight sandbox up --detach`',
    });
  }
  const started = Date.now();
  const before = found.state.resetAt;
  if (found.state.pid === process.pid || !(await isSandboxProcess(found.state.pid, found.state.baseUrl))) {
    // not a process we can signal: restore the database directly
    await resetDatabase(found.state.db.adminUrl);
  } else {
    process.kill(found.state.pid, 'SIGUSR2');
    while (readSandboxState(dir)?.state.resetAt === before) {
      if (Date.now() - started > RESET_TIMEOUT_MS) {
        throw new PreflightError(
          'E_SANDBOX',
          `The sandbox did not finish the reset within ${formatDuration(RESET_TIMEOUT_MS)}`,
          {
            hint: `see ${join(dir, LOG_FILE_NAME)}`,
          },
        );
      }
      await sleep(50);
    }
  }
  const ms = Date.now() - started;
  context.out.result({ ok: true, durationMs: ms });
  context.out.print(`Seed restored and rate-limit windows cleared in ${formatDuration(ms)}.`);
  return ExitCode.ok;
};
