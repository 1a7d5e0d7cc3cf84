/** pg_dump and pg_restore: found next to the PostgreSQL binaries, overridable (PREFLIGHT_PG_DUMP / PREFLIGHT_PG_RESTORE) for fault injection. */
import { PreflightError } from '../src/core/errors.js';
import { findPgClientTool } from '../src/core/pg/binaries.js';
import { resolveTool, runTool } from '../src/core/process.js';
import { registerSecret } from '../src/core/redact.js';

export function findPgTool(
  tool: 'pg_dump' | 'pg_restore' | 'psql' | 'pgbench',
  env: NodeJS.ProcessEnv = process.env,
): string {
  const override = env[`PREFLIGHT_${tool.toUpperCase()}`];
  if (override) return resolveTool(override);
  return findPgClientTool(tool) ?? resolveTool(tool);
}

/** pg_dump's major version must be at least the server's (Supabase runs recent majors). */
export async function assertDumpVersion(
  pgDumpPath: string,
  serverVersionNum: number,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const output = await runTool(pgDumpPath, ['--version'], { env, timeoutMs: 30_000 }).then(
    (r) => r.stdout,
    () => '',
  );
  const version = /(\d+(?:\.\d+)+|\d+)/.exec(output)?.[1] ?? '0';
  const major = Number(version.split('.')[0]);
  const serverMajor = Math.floor(serverVersionNum / 10_000);
  if (major < serverMajor) {
    throw new PreflightError(
      'E_TOOL_MISSING',
      `pg_dump ${version} is older than the server (major ${serverMajor})`,
      {
        hint: `install postgresql-client-${serverMajor} (or newer) and put its bin directory first on PATH, or set PREFLIGHT_PG_BINDIR`,
      },
    );
  }
  return version;
}

/** Splits a connection URL into a password-free URL for the command line and PGPASSWORD for the environment. */
export function splitConnectionUrl(url: string): { url: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  registerSecret(password);
  return { url: parsed.toString(), env: password ? { PGPASSWORD: password } : {} };
}
