/**
 * The platform twin, in process: a throwaway PostgreSQL cluster with the seeded `instainstru` database and the
 * Fastify API on loopback. `startSandbox()` writes state.json so every other command finds it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PreflightError, runCleanups } from '../core/errors.js';
import { getSandboxDir } from '../core/home.js';
import { getFreePort, isPortInUse } from '../core/net.js';
import { stopCluster } from '../core/pg/cluster.js';
import type { ResolvedTarget } from '../core/target.js';
import type { RateLimits } from './api/context.js';
import { startApiServer } from './api/server.js';
import { createRandomSecret, provisionDatabase, resetDatabase } from './database.js';
import { accountEmails } from './seed.js';
import {
  type AccountRole,
  isProcessAlive,
  readSandboxState,
  removeSandboxState,
  type SandboxState,
  writeSandboxState,
} from './state.js';
import { resolveSandboxTarget } from './target.js';
import { createWeaknesses } from './weaknesses.js';

export interface StartSandboxOptions {
  /** State + data directory; default getSandboxDir() (.preflight/sandbox or $PREFLIGHT_HOME/sandbox). */
  dir?: string;
  /** Weakness switches, validated (unknown -> E_USAGE naming it and listing valid ones). */
  weaken?: string[];
  /** The API's pg pool size, default 8. */
  poolSize?: number;
  /** Pool acquire timeout, default 5000. */
  poolTimeoutMs?: number;
  /** A slower database for bottleneck tests: each pooled query first holds its connection this long (default 0). */
  queryDelayMs?: number;
  /** Default: a free port. */
  apiPort?: number;
  rateLimits?: Partial<{
    globalPerIpPerMinute: number;
    loginPerIpPerMinute: number;
    loginPerEmailPerMinute: number;
    bookingsPerUserPerMinute: number;
  }>;
  /** Progress lines. */
  log?: (message: string) => void;
}

export interface SandboxHandle {
  state: SandboxState;
  target: ResolvedTarget;
  stop(): Promise<void>;
  reset(): Promise<void>;
}

export const SANDBOX_ORIGIN = 'http://localhost:3000';
export const PRODUCTION_ORIGINS = ['https://beta.instainstru.com', 'https://app.instainstru.com'];
export const BYPASS_HEADER = 'X-Rate-Limit-Bypass';
const DATA_DIR_NAME = 'pgdata';

function readVersion(): string {
  // src/sandbox/ from the sources, dist/src/sandbox/ when built
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'preflight' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

function validatePositiveInt(
  name: string,
  value: number | undefined,
  fallback: number,
  max = 1_000_000,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new PreflightError(
      'E_USAGE',
      `Expected \`${name}\` to be an integer from 1 to ${max}, got \`${value}\``,
    );
  }
  return value;
}

export async function isApiAnswering(baseUrl: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Clears what a crashed run left behind in `dir` (stale state, a running cluster); refuses if a live sandbox owns it. */
export async function clearStaleSandbox(
  dir: string,
  log: (message: string) => void = () => undefined,
): Promise<void> {
  const found = readSandboxState(dir);
  // a live pid whose API does not answer is a reused pid, not a sandbox
  if (found?.alive && found.state.pid !== process.pid && (await isApiAnswering(found.state.baseUrl))) {
    throw new PreflightError(
      'E_SANDBOX',
      `A sandbox is already running (pid ${found.state.pid}) at ${found.state.baseUrl}`,
      {
        hint: 'use it, or stop it first with `preflight sandbox down`',
      },
    );
  }
  if (found?.alive && found.state.pid === process.pid) {
    throw new PreflightError('E_SANDBOX', `This process already runs a sandbox in ${dir}`, {
      hint: 'stop it first, or pass another `dir`',
    });
  }
  const dataDir = join(dir, DATA_DIR_NAME);
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    log(`Stopping a PostgreSQL left running by a crashed sandbox in ${dataDir}`);
    await stopCluster(dataDir, 'immediate').catch(() => undefined);
  }
  if (found) log('Removing stale sandbox state');
  removeSandboxState(dir);
  rmSync(dataDir, { recursive: true, force: true });
}

/** Starts the twin in this process: cluster + schema + seed + API; writes state.json. */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<SandboxHandle> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dir = resolve(options.dir ?? getSandboxDir());
  const weak = createWeaknesses(options.weaken ?? []);
  const poolSize = validatePositiveInt('poolSize', options.poolSize, 8, 1000);
  const poolTimeoutMs = validatePositiveInt('poolTimeoutMs', options.poolTimeoutMs, 5000, 600_000);
  const queryDelayMs = options.queryDelayMs
    ? validatePositiveInt('queryDelayMs', options.queryDelayMs, 0, 10_000)
    : 0;
  if (options.apiPort !== undefined) {
    validatePositiveInt('apiPort', options.apiPort, 0, 65_535);
    if (await isPortInUse(options.apiPort)) {
      throw new PreflightError('E_PORT_IN_USE', `Port ${options.apiPort} is already in use`, {
        hint: 'choose another with --port, or omit --port to use a free one',
      });
    }
  }
  await clearStaleSandbox(dir, log);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const accounts = {} as Record<
    AccountRole,
    { email: string; password: string; role: 'student' | 'instructor' | 'admin' }
  >;
  const roleOf: Record<AccountRole, 'student' | 'instructor' | 'admin'> = {
    studentA: 'student',
    studentB: 'student',
    instructor: 'instructor',
    admin: 'admin',
  };
  for (const role of Object.keys(accountEmails) as AccountRole[])
    accounts[role] = {
      email: accountEmails[role],
      password: `Sbx-${createRandomSecret(12)}`,
      role: roleOf[role],
    };
  const loadTestPassword = `Load-${createRandomSecret(12)}`;
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    log(`Creating the sandbox database in ${join(dir, DATA_DIR_NAME)}`);
    const db = await provisionDatabase({
      dataDir: join(dir, DATA_DIR_NAME),
      weak,
      passwords: {
        accounts: Object.fromEntries(Object.entries(accounts).map(([r, a]) => [r, a.password])) as Record<
          AccountRole,
          string
        >,
        loadTest: loadTestPassword,
      },
      log,
    });
    cleanups.push(() => db.cluster.destroy());
    // like the platform's bypass token, it may come from the environment; else it is random per sandbox
    const bypass = {
      header: BYPASS_HEADER,
      token: process.env.PREFLIGHT_SANDBOX_BYPASS_TOKEN || createRandomSecret(24),
    };
    const metricsAuth = { username: 'metrics', password: createRandomSecret(18) };
    const serverOptions = {
      appUrl: db.appUrl,
      weak,
      poolSize,
      poolTimeoutMs,
      allowedOrigins: [SANDBOX_ORIGIN, ...PRODUCTION_ORIGINS],
      bypass,
      metricsAuth,
      rateLimits: options.rateLimits as Partial<RateLimits> | undefined,
      jwtSecret: randomBytes(32),
      dummyHash: db.hashes.filler,
      queryDelayMs,
      version: readVersion(),
      gitSha: process.env.GIT_SHA ?? 'sandbox',
    };
    let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
    for (let attempt = 0; !api; attempt++) {
      const port = options.apiPort ?? (await getFreePort());
      try {
        api = await startApiServer({ ...serverOptions, port });
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || options.apiPort !== undefined || attempt >= 2) {
          throw inUse
            ? new PreflightError('E_PORT_IN_USE', `Port ${port} is already in use`, {
                hint: 'choose another with --port',
                cause: error,
              })
            : error;
        }
      }
    }
    const server = api;
    cleanups.push(() => server.close());
    const state: SandboxState = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      baseUrl: server.url,
      apiPort: Number(new URL(server.url).port),
      origin: SANDBOX_ORIGIN,
      db: {
        host: db.cluster.host,
        port: db.cluster.port,
        database: 'instainstru',
        dataDir: db.cluster.dataDir,
        adminUrl: db.adminUrl,
        readonlyUrl: db.readonlyUrl,
      },
      accounts,
      rateLimitBypass: bypass,
      weaken: weak.list,
      poolSize,
      poolTimeoutMs,
      loadTestStudents: { emails: db.seed.loadTestEmails, password: loadTestPassword },
      metricsAuth,
    };
    writeSandboxState(state, dir);
    cleanups.push(() => removeSandboxState(dir));
    log(
      `Sandbox ready at ${server.url} in ${Date.now() - started} ms${weak.list.length > 0 ? ` (weakened: ${weak.list.join(', ')})` : ''}`,
    );
    let stopped = false;
    return {
      state,
      target: resolveSandboxTarget(dir),
      async stop() {
        if (stopped) return;
        stopped = true;
        await runCleanups(cleanups);
      },
      async reset() {
        await resetDatabase(db.adminUrl);
        server.clearState();
      },
    };
  } catch (error) {
    await runCleanups(cleanups).catch(() => undefined);
    throw error;
  }
}

export type { SandboxState } from './state.js';
export { validateWeaknesses, weaknesses, weaknessNames } from './weaknesses.js';
export { isProcessAlive };
