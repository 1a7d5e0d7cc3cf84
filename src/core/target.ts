/**
 * Resolves a named target from the config (or a built-in target the app registers, such as the sandbox) into what
 * commands use, secrets read from the environment.
 */

import type { PreflightConfig, TargetConfig } from './config/schema.js';
import { readSecretEnv } from './config/secret-env.js';
import { PreflightError } from './errors.js';
import { isLoopbackHost } from './net.js';
import type { PlatformProfile } from './platform/defaults.js';
import { registerSecret } from './redact.js';

export type AccountRole = 'studentA' | 'studentB' | 'instructor' | 'admin';

/** What a built-in local target (the sandbox) adds: load-test students and its metrics endpoint's basic auth. */
export interface LocalTargetInfo {
  /** The process that serves it. */
  pid?: number;
  loadTestStudents?: { emails: string[]; password: string };
  metricsAuth?: { username: string; password: string };
}

export interface ResolvedAccount {
  email: string;
  /** Undefined when the variable named by the config is not set. */
  password: string | undefined;
  passwordEnv: string | undefined;
}

export interface ResolvedTarget {
  name: string;
  baseUrl: string;
  /** baseUrl + apiPrefix, without a trailing slash. */
  apiBase: string;
  production: boolean;
  environment: string;
  /** Hosts that traffic may go to (the baseUrl host plus allowedHosts). */
  allowedHosts: string[];
  /** How to authenticate; the login and me paths come from the platform profile. */
  auth: TargetConfig['auth'] & { loginPath: string; mePath: string };
  accounts: Partial<Record<AccountRole, ResolvedAccount>>;
  origin: string | undefined;
  rateLimitBypass: { header: string; token: string } | undefined;
  rateLimits: TargetConfig['rateLimits'];
  slo: TargetConfig['slo'];
  database: { readonlyUrl: string | undefined; adminUrl: string | undefined };
  /** The metrics route's path under apiBase (from the platform profile). */
  metricsPath: string;
  /** Everything preflight assumes about the platform: defaults from the spec, overridden by `platform:`. */
  platform: PlatformProfile;
  searchCheck: TargetConfig['searchCheck'];
  backup: TargetConfig['backup'];
  grafana: TargetConfig['grafana'];
  /** Set for a built-in local target (the sandbox): traffic then stays on loopback. */
  sandbox: LocalTargetInfo | undefined;
}

export const SANDBOX_TARGET = 'sandbox';

/** Resolves a built-in target (one not defined in preflight.yaml). */
export type BuiltinTargetResolver = (
  options: ResolveTargetOptions & { env: NodeJS.ProcessEnv },
) => ResolvedTarget;

const builtinTargets = new Map<string, BuiltinTargetResolver>();

/** Registers a built-in target; the app registers the sandbox (core knows no capability). */
export function registerBuiltinTarget(name: string, resolver: BuiltinTargetResolver): void {
  builtinTargets.set(name, resolver);
}

export interface ResolveTargetOptions {
  env?: NodeJS.ProcessEnv;
  sandboxDir?: string;
}

/** Resolves `name` (or the config's defaultTarget). */
export function resolveTarget(
  config: PreflightConfig,
  name?: string,
  options: ResolveTargetOptions = {},
): ResolvedTarget {
  const env = options.env ?? process.env;
  const targetName = name ?? config.defaultTarget;
  const configured = config.targets[targetName];
  const builtin = builtinTargets.get(targetName);
  if (builtin && !configured) return builtin({ ...options, env });
  if (!configured) {
    const known = [...new Set([...builtinTargets.keys(), ...Object.keys(config.targets)])].join(', ');
    throw new PreflightError('E_CONFIG', `Unknown target "${targetName}"`, {
      hint: `use one of: ${known} (targets are defined under \`targets:\` in preflight.yaml)`,
    });
  }
  return createTargetFromConfig(targetName, configured, env);
}

/** A secret named by the config: undefined when unset or blank (`config check` and `doctor` name those variables). */
function readEnv(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  const value = readSecretEnv(env, name);
  registerSecret(value);
  return value;
}

/** A target's database URLs alone: what `backup` needs, so a backups-only target may leave out `baseUrl`. */
export function resolveTargetDatabase(
  config: PreflightConfig,
  name?: string,
  options: ResolveTargetOptions = {},
): ResolvedTarget['database'] {
  const env = options.env ?? process.env;
  const configured = config.targets[name ?? config.defaultTarget];
  if (!configured) return resolveTarget(config, name, options).database;
  return readDatabaseUrls(env, configured.database);
}

function readDatabaseUrls(
  env: NodeJS.ProcessEnv,
  database: TargetConfig['database'],
): ResolvedTarget['database'] {
  return {
    readonlyUrl: readEnv(env, database.readonlyUrlEnv),
    adminUrl: readEnv(env, database.adminUrlEnv),
  };
}

/** The target's baseUrl without a trailing slash; E_CONFIG for a backups-only target that has none. */
export function requireBaseUrl(name: string, t: Pick<TargetConfig, 'baseUrl'>): string {
  if (!t.baseUrl) {
    throw new PreflightError('E_CONFIG', `Target "${name}" has no baseUrl`, {
      hint: `set targets.${name}.baseUrl (only \`preflight backup\` works without it)`,
    });
  }
  return t.baseUrl.replace(/\/+$/, '');
}

/** A target from its configuration (secrets read from `env`). */
export function createTargetFromConfig(
  name: string,
  t: TargetConfig,
  env: NodeJS.ProcessEnv,
): ResolvedTarget {
  const baseUrl = requireBaseUrl(name, t);
  const accounts: Partial<Record<AccountRole, ResolvedAccount>> = {};
  for (const [role, account] of Object.entries(t.accounts) as Array<
    [AccountRole, TargetConfig['accounts'][AccountRole]]
  >) {
    if (!account) continue;
    accounts[role] = {
      email: account.email,
      passwordEnv: account.passwordEnv,
      password: readEnv(env, account.passwordEnv),
    };
  }
  const bypassToken = readEnv(env, t.rateLimitBypass?.tokenEnv);
  return {
    name,
    baseUrl,
    apiBase: `${baseUrl}${t.platform.apiPrefix}`.replace(/\/+$/, ''),
    production: t.production,
    environment: t.environment,
    allowedHosts: [new URL(baseUrl).hostname, ...t.allowedHosts],
    auth: { ...t.auth, loginPath: t.platform.routes.login.path, mePath: t.platform.routes.me.path },
    accounts,
    origin: t.origin,
    rateLimitBypass:
      t.rateLimitBypass && bypassToken ? { header: t.rateLimitBypass.header, token: bypassToken } : undefined,
    rateLimits: t.rateLimits,
    slo: t.slo,
    database: readDatabaseUrls(env, t.database),
    metricsPath: t.platform.routes.metrics.path,
    platform: t.platform,
    searchCheck: t.searchCheck,
    backup: t.backup,
    grafana: t.grafana,
    sandbox: undefined,
  };
}

/** Throws unless `url`'s host is one the target allows; load and probes call this before any request. */
export function assertAllowedUrl(target: ResolvedTarget, url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const allowed = target.allowedHosts.some((h) => h.toLowerCase() === host.toLowerCase());
  if (!allowed || (target.sandbox && !isLoopbackHost(host))) {
    throw new PreflightError(
      'E_TARGET_NOT_ALLOWED',
      `Refusing to send traffic to ${host}: not an allowed host of target "${target.name}"`,
      {
        hint: `add it to targets.${target.name}.allowedHosts in preflight.yaml if it really belongs to this target`,
      },
    );
  }
}
