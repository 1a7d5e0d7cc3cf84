/** Basic auth of a target's metrics endpoint: the sandbox's comes from its state, a configured target's from the config. */
import type { Context } from '../../src/core/cli/context.js';
import { registerSecret } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';

export function resolveMetricsAuth(context: Context, target: ResolvedTarget | undefined) {
  if (!target || target.sandbox) return undefined;
  try {
    const auth = context.loadConfig().config.targets[target.name]?.metricsAuth;
    const password = auth ? context.env[auth.passwordEnv] : undefined;
    if (!auth || !password) return undefined;
    registerSecret(password);
    return { username: auth.username, password };
  } catch {
    return undefined;
  }
}
