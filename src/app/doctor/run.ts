/** `preflight doctor` as a plain async function: every check, then the exit code they add up to. */
import type { LoadedConfig } from '../../core/config/load.js';
import type { PreflightConfig } from '../../core/config/schema.js';
import { findMissingSecrets, listSecretReferences } from '../../core/config/secret-env.js';
import { isPreflightError } from '../../core/errors.js';
import type { ResolvedTarget } from '../../core/target.js';
import { type DoctorCheck, type DoctorReport, decideExitCode } from './checks.js';
import { checkNode, checkOptionalTools, checkPgBinaries } from './local-tools.js';
import { checkTarget } from './target-checks.js';

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Loads the config (throws E_CONFIG when invalid). */
  loadConfig: () => LoadedConfig;
  /** Resolves the target by name, or the default target when undefined. */
  resolveTarget: (name?: string) => ResolvedTarget;
  /** The --target given on the command line: its unreachability is exit 3. */
  targetName?: string;
  timeoutMs?: number;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.targetName !== undefined;
  const pgChecks = checkPgBinaries(env.PREFLIGHT_PG_BINDIR || undefined);
  const checks: DoctorCheck[] = [checkNode(), ...pgChecks, ...(await checkOptionalTools(env, cwd))];

  const config = checkConfig(options.loadConfig);
  checks.push(config.check);
  let targetName: string | undefined;
  if (config.loaded) {
    targetName = options.targetName ?? config.loaded.config.defaultTarget;
    const pgDumpCheck = pgChecks.find((c) => c.id === 'pg_dump' && c.status !== 'missing');
    const pgDump = pgDumpCheck ? { path: pgDumpCheck.detail, version: pgDumpCheck.version } : undefined;
    checks.push(...(await checkNamedTarget(options, targetName, explicit, pgDump)));
    checks.push(...checkSecrets(config.loaded.config, targetName, env));
  }
  // an implicit (default) target that is down is worth a warning, not a failure
  if (!explicit) {
    for (const c of checks)
      if (c.group === 'target' && c.id !== 'pg_dump-compat' && c.status === 'fail') c.status = 'warn';
  }
  const exitCode = decideExitCode(checks, explicit);
  return {
    ok: exitCode === 0,
    exitCode,
    target: targetName === undefined ? null : { name: targetName, explicit },
    checks,
    problems: checks.filter((c) => c.status !== 'ok'),
  };
}

function checkConfig(load: () => LoadedConfig): { check: DoctorCheck; loaded?: LoadedConfig } {
  const base = {
    id: 'config',
    group: 'runtime' as const,
    name: 'preflight.yaml',
    required: false,
    version: null,
  };
  try {
    const loaded = load();
    return {
      loaded,
      check: {
        ...base,
        status: 'ok',
        detail: loaded.path ?? 'no config file: built-in sandbox target',
        hint: null,
      },
    };
  } catch (error) {
    if (!isPreflightError(error)) throw error;
    return {
      check: {
        ...base,
        status: 'fail',
        detail: error.message,
        hint: error.hint ?? 'fix the key named above',
      },
    };
  }
}

async function checkNamedTarget(
  options: DoctorOptions,
  name: string,
  explicit: boolean,
  pgDump: { path: string; version: string | null } | undefined,
): Promise<DoctorCheck[]> {
  let target: ResolvedTarget;
  try {
    target = options.resolveTarget(name);
  } catch (error) {
    // an unknown --target is a usage error like anywhere else; a sandbox that is not running is a finding
    if (!isPreflightError(error) || error.code !== 'E_TARGET_UNREACHABLE') throw error;
    return [
      {
        id: 'target-health',
        group: 'target',
        name: `API of ${name}`,
        status: explicit ? 'fail' : 'warn',
        required: false,
        version: null,
        detail: error.message,
        hint: error.hint ?? null,
      },
    ];
  }
  const configured = options.loadConfig().config.targets[name];
  const poolerAdminUrlEnv = configured?.pool.poolerAdminUrlEnv;
  const poolerAdminUrl = poolerAdminUrlEnv
    ? (options.env ?? process.env)[poolerAdminUrlEnv] || undefined
    : undefined;
  return checkTarget(target, {
    pgDump,
    timeoutMs: options.timeoutMs,
    databaseEnv: configured?.database,
    poolerAdminUrl,
  });
}

/** A warning per secret variable the target needs but the environment does not set (the wording of `config check`). */
export function checkSecrets(config: PreflightConfig, name: string, env: NodeJS.ProcessEnv): DoctorCheck[] {
  const base = { group: 'target' as const, required: false, version: null };
  const references = listSecretReferences(config, [name]);
  if (references.length === 0) return [];
  const missing = findMissingSecrets(config, [name], env);
  if (missing.length === 0) {
    return [
      {
        ...base,
        id: 'target-secrets',
        name: `secret variables of ${name}`,
        status: 'ok',
        detail: `all set: ${references.map((r) => r.variable).join(', ')}`,
        hint: null,
      },
    ];
  }
  return missing.map((m) => ({
    ...base,
    id: `target-secret-${m.variable}`,
    name: `secret ${m.variable}`,
    status: 'warn',
    detail: m.message,
    hint: m.hint,
  }));
}
