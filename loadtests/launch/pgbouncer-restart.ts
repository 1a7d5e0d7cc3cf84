/**
 * The opt-in real restart of a local PgBouncer for connection-loss (targets.<t>.pool.pgbouncerRestart): stop it
 * (SHUTDOWN on the admin console, else SIGINT to the pid in the ini's pidfile), wait for the port to close, start
 * `pgbouncer -d <ini>` again (as the ini's owner when root) and wait until it accepts connections.
 */
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import pg from 'pg';
import { PreflightError } from '../../src/core/errors.js';
import { type RunAs, resolveTool, runTool } from '../../src/core/process.js';

export interface PgbouncerRestartResult {
  /** How PgBouncer was stopped. */
  stoppedBy: 'SHUTDOWN' | 'SIGINT';
  oldPid: number | undefined;
  newPid: number | undefined;
  /** From the stop request until the new PgBouncer accepted a connection. */
  downtimeMs: number;
}

export interface PgbouncerIni {
  host: string;
  port: number;
  pidfile: string | undefined;
}

/** Pure: listen address, port and pidfile from the [pgbouncer] section of an ini text. */
export function parsePgbouncerIni(text: string, iniDir: string): PgbouncerIni {
  const settings = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = (header[1] ?? '').trim().toLowerCase();
    else if (section === 'pgbouncer') {
      const eq = line.indexOf('=');
      if (eq > 0) settings.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
  }
  const listen = (settings.get('listen_addr') ?? '').split(',')[0]?.trim() ?? '';
  const host = listen === '' || listen === '*' || listen === '0.0.0.0' ? '127.0.0.1' : listen;
  const pidfile = settings.get('pidfile');
  return {
    host: host === '::' ? '::1' : host,
    port: Number(settings.get('listen_port') ?? 6432),
    pidfile: pidfile ? resolve(iniDir, pidfile) : undefined,
  };
}

function readPid(pidfile: string | undefined): number | undefined {
  if (!pidfile) return undefined;
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // an exited daemon nobody reaped yet (a container's init may not) is a zombie: gone for our purpose
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host);
    socket.setTimeout(1000);
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new PreflightError('E_POOL', `PgBouncer restart: ${what} within ${timeoutMs} ms`, {
        hint: 'check the pgbouncer.ini of pool.pgbouncerRestart.configFile and PgBouncer log',
      });
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs as the ini file's owner when preflight is root (PgBouncer refuses to run as root). */
function getIniOwner(configFile: string): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const { uid, gid } = statSync(configFile);
  return uid === 0 ? undefined : { uid, gid };
}

async function sendShutdown(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // PgBouncer closes the connection as it goes down: the query's error is the expected answer
    await client.query('SHUTDOWN').catch(() => undefined);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Reads the ini of pool.pgbouncerRestart; E_CONFIG when it cannot be read or sets no pidfile (checked before a run). */
export function readPgbouncerIni(configFile: string): PgbouncerIni {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (error) {
    throw new PreflightError('E_CONFIG', `Cannot read pool.pgbouncerRestart.configFile \`${configFile}\``, {
      hint: 'point it at the pgbouncer.ini of the local PgBouncer',
      cause: error,
    });
  }
  const ini = parsePgbouncerIni(text, dirname(resolve(configFile)));
  if (!ini.pidfile) {
    throw new PreflightError(
      'E_CONFIG',
      `\`${configFile}\` sets no pidfile: \`pgbouncer -d\` cannot restart it`,
      {
        hint: 'add `pidfile = /path/pgbouncer.pid` to its [pgbouncer] section',
      },
    );
  }
  return ini;
}

/** Stops the local PgBouncer of `configFile` and starts it again as a daemon; returns the pids and the downtime. */
export async function restartPgbouncer(
  configFile: string,
  options: { adminUrl?: string; timeoutMs?: number } = {},
): Promise<PgbouncerRestartResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const ini = readPgbouncerIni(configFile);
  const pgbouncer = resolveTool('pgbouncer', ['/usr/sbin']);
  const runAs = getIniOwner(configFile);
  const oldPid = readPid(ini.pidfile);
  const started = Date.now();
  let stoppedBy: PgbouncerRestartResult['stoppedBy'] = 'SIGINT';
  // the admin console first; an unreachable console falls back to the pidfile's pid
  const shutdownSent = options.adminUrl
    ? await sendShutdown(options.adminUrl).then(
        () => true,
        () => false,
      )
    : false;
  if (shutdownSent) {
    stoppedBy = 'SHUTDOWN';
  } else if (oldPid !== undefined) {
    process.kill(oldPid, 'SIGINT');
  } else {
    throw new PreflightError(
      'E_POOL',
      `No running PgBouncer: the pidfile ${ini.pidfile} is missing or empty`,
      {
        hint: 'start PgBouncer with `pgbouncer -d <ini>`, or configure pool.poolerAdminUrlEnv to stop it with SHUTDOWN',
      },
    );
  }
  await waitFor(
    `port ${ini.port} still open`,
    async () => !(await canConnect(ini.host, ini.port)) && (oldPid === undefined || !isProcessAlive(oldPid)),
    timeoutMs,
  );
  // from the ini's folder: a relative pidfile or logfile means the same file as when it was started there
  await runTool(pgbouncer, ['-d', configFile], { runAs, timeoutMs, cwd: dirname(resolve(configFile)) });
  // the daemon may listen before it has written its pidfile: wait for both, so the new pid is known
  let newPid: number | undefined;
  await waitFor(
    `port ${ini.port} did not accept connections (or ${ini.pidfile} named no new running pid)`,
    async () => {
      newPid = readPid(ini.pidfile);
      return (
        newPid !== undefined &&
        newPid !== oldPid &&
        isProcessAlive(newPid) &&
        (await canConnect(ini.host, ini.port))
      );
    },
    timeoutMs,
  );
  return { stoppedBy, oldPid, newPid, downtimeMs: Date.now() - started };
}
