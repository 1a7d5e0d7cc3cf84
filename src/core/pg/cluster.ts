/**
 * Throwaway PostgreSQL clusters: initdb + pg_ctl from the system's binaries, scram password auth,
 * loopback only, on a free port. When running as root the server runs as the `postgres` system user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PreflightError } from '../errors.js';
import { getFreePort } from '../net.js';
import { type RunAs, runTool } from '../process.js';
import { findPgBinaries, type PgBinaries } from './binaries.js';

export interface ClusterOptions {
  /** Data directory; created by initdb. */
  dataDir: string;
  port?: number;
  password: string;
  superuser?: string;
  /** Directory with initdb/pg_ctl/postgres; found automatically when omitted. */
  bindir?: string;
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string | number>;
}

export interface Cluster {
  dataDir: string;
  host: string;
  port: number;
  superuser: string;
  password: string;
  binaries: PgBinaries;
  runAs: RunAs | undefined;
  /** A connection URL for a database on this cluster. */
  url(database?: string, user?: string, password?: string): string;
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Stops the server and deletes the data directory. */
  destroy(): Promise<void>;
}

/** The uid/gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves. */
export function getPostgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new PreflightError(
      'E_TOOL_MISSING',
      'Running as root but there is no `postgres` system user to run PostgreSQL as',
      {
        hint: 'apt-get install postgresql (creates the user), or `useradd --system postgres`, or run preflight as a normal user',
      },
    );
  }
}

function chownTree(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, path]);
}

/** Makes every parent directory of `path` traversable by the server user. */
function ensureTraversable(path: string): void {
  let dir = dirname(resolve(path));
  while (dir !== '/') {
    try {
      execFileSync('chmod', ['o+x', dir]);
    } catch {
      // directories we cannot change are usually already traversable
    }
    dir = dirname(dir);
  }
}

function quoteConf(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

/** initdb a new cluster, configure it and start it. */
export async function createCluster(options: ClusterOptions): Promise<Cluster> {
  const binaries = findPgBinaries(options.bindir);
  const runAs = getPostgresRunAs();
  const dataDir = resolve(options.dataDir);
  const superuser = options.superuser ?? 'postgres';
  if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  ensureTraversable(dataDir);
  const pwfile = join(dirname(dataDir), `.pwfile-${process.pid}-${Date.now()}`);
  writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
  chownTree(dataDir, runAs);
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    await runTool(
      binaries.path('initdb'),
      [
        '-D',
        dataDir,
        '-U',
        superuser,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { runAs, timeoutMs: 120_000 },
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    shared_buffers: '128MB',
    ...options.settings,
  };
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${quoteConf(v)}`)
    .join('\n');
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), `# written by preflight\n${conf}\n`);
  chownTree(join(dataDir, 'postgresql.auto.conf'), runAs);
  return startCluster({
    dataDir,
    port: options.port,
    password: options.password,
    superuser,
    bindir: binaries.bindir,
  });
}

/** Starts an existing cluster (for example after `sandbox reset`) and returns its handle. */
export async function startCluster(options: Omit<ClusterOptions, 'settings'>): Promise<Cluster> {
  const binaries = findPgBinaries(options.bindir);
  const runAs = getPostgresRunAs();
  const dataDir = resolve(options.dataDir);
  const superuser = options.superuser ?? 'postgres';
  const logFile = join(dataDir, 'server.log');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await getFreePort());
    try {
      await runTool(
        binaries.path('pg_ctl'),
        ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port}`, 'start'],
        { runAs, timeoutMs: 90_000 },
      );
      return makeHandle({ dataDir, port, superuser, password: options.password, binaries, runAs });
    } catch (error) {
      lastError = error;
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (options.port !== undefined || !/could not bind|Address already in use/i.test(log)) break;
    }
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  const portInUse = /could not bind|Address already in use/i.test(log);
  throw new PreflightError(
    portInUse ? 'E_PORT_IN_USE' : 'E_SANDBOX',
    `PostgreSQL did not start in ${dataDir}${log ? `:\n${log}` : ''}`,
    {
      cause: lastError,
      hint: portInUse ? 'choose another port or stop what listens on it' : `see ${logFile}`,
    },
  );
}

/** Stops a cluster by data directory; a missing or stopped cluster is fine. */
export async function stopCluster(
  dataDir: string,
  mode: 'smart' | 'fast' | 'immediate' = 'fast',
  bindir?: string,
): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  const binaries = findPgBinaries(bindir);
  await runTool(binaries.path('pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], {
    runAs: getPostgresRunAs(),
    allowExitCodes: [1],
    timeoutMs: 90_000,
  });
}

function makeHandle(fields: {
  dataDir: string;
  port: number;
  superuser: string;
  password: string;
  binaries: PgBinaries;
  runAs: RunAs | undefined;
}): Cluster {
  const host = '127.0.0.1';
  return {
    ...fields,
    host,
    url(database = 'postgres', user = fields.superuser, password = fields.password) {
      return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${fields.port}/${encodeURIComponent(database)}`;
    },
    async stop(mode = 'fast') {
      await stopCluster(fields.dataDir, mode, fields.binaries.bindir);
    },
    async destroy() {
      try {
        await stopCluster(fields.dataDir, 'immediate', fields.binaries.bindir);
      } finally {
        rmSync(fields.dataDir, { recursive: true, force: true });
      }
    },
  };
}
