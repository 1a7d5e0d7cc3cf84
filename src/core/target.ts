/** Resolves a named target from the config (or the built-in sandbox) into what commands use, secrets read from the environment. */

import { validateConfig } from './config/load.js';
import type { PreflightConfig, TargetConfig } from './config/schema.js';
import { readSecretEnv } from './config/secret-env.js';
import { PreflightError } from './errors.js';
import { getSandboxDir } from './home.js';
import { isLoopbackHost } from './net.js';
import type { PlatformProfile } from './platform/defaults.js';
import { registerSecret } from './redact.js';
import { type AccountRole, readSandboxState, type SandboxState } from '../sandbox/state.js';

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
  /** Set for the built-in sandbox target. */
  sandbox: SandboxState | undefined;
}

export const SANDBOX_TARGET = 'sandbox';

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
  if (targetName === SANDBOX_TARGET && !configured)
    return resolveSandboxTarget(options.sandboxDir ?? getSandboxDir(env));
  if (!configured) {
    const known = [SANDBOX_TARGET, ...Object.keys(config.targets)].join(', ');
    throw new PreflightError('E_CONFIG', `Unknown target "${targetName}"`, {
      hint: `use one of: ${known} (targets are defined under \`targets:\` in preflight.yaml)`,
    });
  }
  return fromConfig(targetName, configured, env);
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
  return {
    readonlyUrl: readEnv(env, configured.database.readonlyUrlEnv),
    adminUrl: readEnv(env, configured.database.adminUrlEnv),
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

function fromConfig(name: string, t: TargetConfig, env: NodeJS.ProcessEnv): ResolvedTarget {
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
    database: {
      readonlyUrl: readEnv(env, t.database.readonlyUrlEnv),
      adminUrl: readEnv(env, t.database.adminUrlEnv),
    },
    metricsPath: t.platform.routes.metrics.path,
    platform: t.platform,
    searchCheck: t.searchCheck,
    backup: t.backup,
    grafana: t.grafana,
    sandbox: undefined,
  };
}

/** The built-in sandbox target, read from the running sandbox's state file. */
export function resolveSandboxTarget(sandboxDir = getSandboxDir()): ResolvedTarget {
  const found = readSandboxState(sandboxDir);
  if (!found?.alive) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `The sandbox is not running${found ? ' (stale state file)' : ''}`,
      {
        hint: 'start it with `preflight sandbox up --detach`',
      },
    );
  }
  const s = found.state;
  for (const account of Object.values(s.accounts)) registerSecret(account.password);
  registerSecret(s.rateLimitBypass.token);
  registerSecret(s.loadTestStudents?.password);
  registerSecret(s.metricsAuth?.password);
  const defaults = validateConfig({ targets: { sandbox: { baseUrl: s.baseUrl } } }).targets.sandbox!;
  const accounts: Partial<Record<AccountRole, ResolvedAccount>> = {};
  for (const [role, a] of Object.entries(s.accounts) as Array<
    [AccountRole, SandboxState['accounts'][AccountRole]]
  >) {
    accounts[role] = { email: a.email, password: a.password, passwordEnv: undefined };
  }
  return {
    ...fromConfig(
      SANDBOX_TARGET,
      { ...defaults, environment: 'sandbox', auth: { ...defaults.auth, style: 'bearer' } },
      {},
    ),
    accounts,
    origin: s.origin,
    rateLimitBypass: s.rateLimitBypass,
    database: { readonlyUrl: s.db.readonlyUrl, adminUrl: s.db.adminUrl },
    sandbox: s,
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
