/** The PgBouncer admin console URL of a configured target (targets.<t>.pool.poolerAdminUrlEnv), for connection-loss. */
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
