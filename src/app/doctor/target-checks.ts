/** Checks of the configured target: API health, database reachability, and whether pg_dump can dump its server. */
import pg from 'pg';
import { ApiClient } from '../../core/http.js';
import { redact } from '../../core/redact.js';
import type { ResolvedTarget } from '../../core/target.js';
import { type DoctorCheck, readMajor } from './checks.js';
import { checkPitr } from './pitr-check.js';
import { checkPoolSizes } from './pool-check.js';

export interface TargetCheckOptions {
  /** pg_dump found by the PostgreSQL checks, with its version. */
  pgDump?: { path: string; version: string | null };
  timeoutMs?: number;
  /** The variables the config names for the database URLs, so a fix names what is missing, not keys already set. */
  databaseEnv?: { readonlyUrlEnv?: string; adminUrlEnv?: string };
  /** PgBouncer admin console URL: its limits join the pool size advice. */
  poolerAdminUrl?: string;
}

/** Health, then each configured database URL, pg_dump against the server's major version, and PITR (archiving). */
export async function checkTarget(
  target: ResolvedTarget,
  options: TargetCheckOptions = {},
): Promise<DoctorCheck[]> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const checks = [await checkHealth(target, timeoutMs)];
  const urls = [
    ['readonly', target.database.readonlyUrl],
    ['admin', target.database.adminUrl],
  ] as const;
  let serverVersion: string | undefined;
  let adminReachable = false;
  const configured = urls.filter(([, url]) => url);
  if (configured.length === 0) checks.push(checkNoDatabaseUrl(target.name, options.databaseEnv));
  for (const [kind, url] of configured) {
    const result = await queryServer(url!, timeoutMs);
    if ('error' in result) {
      checks.push({
        ...targetCheck(`target-database-${kind}`, `${kind} database of ${target.name}`),
        status: 'fail',
        detail: redact(`${describeUrl(url!)}: ${result.error}`),
        hint: `check the ${kind} database URL of target "${target.name}", that the server runs, and that it accepts this client`,
      });
      continue;
    }
    serverVersion ??= result.version;
    if (kind === 'admin') adminReachable = true;
    checks.push({
      ...targetCheck(`target-database-${kind}`, `${kind} database of ${target.name}`),
      status: 'ok',
      version: result.version,
      detail: `${describeUrl(url!)}: SELECT 1 ok`,
    });
  }
  if (serverVersion) checks.push(checkPgDumpCompat(serverVersion, options.pgDump));
  const pitr = await checkPitr(target, { adminReachable, timeoutMs });
  if (pitr) checks.push(pitr);
  const poolSizes = await checkPoolSizes({
    targetName: target.name,
    databaseUrl: serverVersion ? (target.database.readonlyUrl ?? target.database.adminUrl) : undefined,
    poolerAdminUrl: options.poolerAdminUrl,
    timeoutMs,
  });
  if (poolSizes) checks.push(poolSizes);
  return checks;
}

/** No URL to check: either the config names no variable, or the variables it names are not exported. */
function checkNoDatabaseUrl(name: string, databaseEnv: TargetCheckOptions['databaseEnv']): DoctorCheck {
  const base = { ...targetCheck('target-database', `database of ${name}`), status: 'warn' as const };
  const named = [databaseEnv?.readonlyUrlEnv, databaseEnv?.adminUrlEnv].filter((v): v is string =>
    Boolean(v),
  );
  if (named.length === 0) {
    return {
      ...base,
      detail: 'no database URL configured',
      hint: `set targets.${name}.database.readonlyUrlEnv / adminUrlEnv in preflight.yaml and export those variables`,
    };
  }
  return {
    ...base,
    detail: `no database URL: ${named.join(' and ')} ${named.length === 1 ? 'is' : 'are'} not set`,
    hint: `export ${named.map((v) => `${v}=...`).join(' ')}`,
  };
}

function targetCheck(id: string, name: string): Omit<DoctorCheck, 'status' | 'detail'> {
  return { id, group: 'target', name, required: false, version: null, hint: null };
}

async function checkHealth(target: ResolvedTarget, timeoutMs: number): Promise<DoctorCheck> {
  const base = targetCheck('target-health', `API of ${target.name}`);
  const client = new ApiClient(target, { timeoutMs });
  const health = target.platform.routes.health;
  const url = client.url(health.path);
  try {
    const response = await client.request(health.method, health.path);
    if (response.status >= 200 && response.status < 300) {
      let version: string | null = null;
      try {
        version = response.json<{ version?: string }>().version ?? null;
      } catch {
        // a health route that is not JSON still answered
      }
      return {
        ...base,
        status: 'ok',
        version,
        detail: `GET ${url}: HTTP ${response.status} in ${Math.round(response.durationMs)} ms`,
      };
    }
    return {
      ...base,
      status: 'fail',
      detail: `GET ${url}: HTTP ${response.status}`,
      hint: 'the API answers but is not healthy: check its logs',
    };
  } catch (error) {
    const e = error as Error & { hint?: string };
    return {
      ...base,
      status: 'fail',
      detail: redact(e.message),
      hint: e.hint ?? `check targets.${target.name}.baseUrl`,
    };
  }
}

/** pg_dump refuses to dump a server newer than itself: its major version must be >= the server's. */
export function checkPgDumpCompat(serverVersion: string, pgDump: TargetCheckOptions['pgDump']): DoctorCheck {
  const base = {
    ...targetCheck('pg_dump-compat', 'pg_dump can dump the target server'),
    required: true,
    version: serverVersion,
  };
  const serverMajor = readMajor(serverVersion) ?? 0;
  if (!pgDump) {
    return {
      ...base,
      status: 'missing',
      detail: `server ${serverVersion}; pg_dump not found`,
      hint: `apt-get install postgresql-client-${serverMajor}`,
    };
  }
  const dumpMajor = readMajor(pgDump.version);
  if (dumpMajor === null) {
    return {
      ...base,
      status: 'warn',
      detail: `server ${serverVersion}; the version of ${pgDump.path} is unknown`,
      hint: `check that ${pgDump.path} --version runs`,
    };
  }
  if (dumpMajor < serverMajor) {
    return {
      ...base,
      status: 'fail',
      detail: `pg_dump ${pgDump.version} cannot dump server ${serverVersion} (its major version ${dumpMajor} is older than ${serverMajor})`,
      hint: `install postgresql-client-${serverMajor} (or newer) and put it first on PATH, or set PREFLIGHT_PG_BINDIR`,
    };
  }
  return { ...base, status: 'ok', detail: `pg_dump ${pgDump.version} >= server ${serverVersion}` };
}

/** Connects, runs SELECT 1 and reads the server version. */
async function queryServer(url: string, timeoutMs: number): Promise<{ version: string } | { error: string }> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    const num = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const text = await client.query<{ server_version: string }>('SHOW server_version');
    const versionNum = Number(num.rows[0]?.server_version_num ?? 0);
    const shown = text.rows[0]?.server_version?.split(' ')[0];
    return { version: shown ?? `${Math.floor(versionNum / 10_000)}.${versionNum % 10_000}` };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { error: e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** "user@host:port/db" without the password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(an invalid database URL)';
  }
}
