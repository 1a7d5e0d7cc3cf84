/** The PgBouncer admin console URL of a configured target (targets.<t>.pool.poolerAdminUrlEnv), for connection-loss. */
import { dirname, resolve } from 'node:path';
import type { Context } from '../../src/core/cli/context.js';
import { registerSecret } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';

export function resolvePoolerAdminUrl(
  context: Context,
  target: ResolvedTarget | undefined,
): string | undefined {
  if (!target || target.sandbox) return undefined;
  try {
    const name = context.loadConfig().config.targets[target.name]?.pool.poolerAdminUrlEnv;
    const url = name ? context.env[name] : undefined;
    if (!url) return undefined;
    registerSecret(url);
    return url;
  } catch {
    return undefined;
  }
}

/** The local pgbouncer.ini connection-loss restarts (targets.<t>.pool.pgbouncerRestart), when configured. */
export function resolvePgbouncerRestart(
  context: Context,
  target: ResolvedTarget | undefined,
): { configFile: string } | undefined {
  if (!target || target.sandbox) return undefined;
  try {
    const loaded = context.loadConfig();
    const restart = loaded.config.targets[target.name]?.pool.pgbouncerRestart;
    // a relative path is read from the config file's folder
    const base = loaded.path ? dirname(loaded.path) : context.cwd;
    return restart ? { configFile: resolve(base, restart.configFile) } : undefined;
  } catch {
    return undefined;
  }
}
