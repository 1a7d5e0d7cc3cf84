/** What every backup command resolves first: the target name, the storage, the metrics destination and the config. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from '../src/cli/context.js';
import type { PreflightConfig } from '../src/config/schema.js';
import { PreflightError } from '../src/errors.js';
import { getPreflightHome } from '../src/home.js';
import { redact, registerSecret } from '../src/redact.js';
import type { MetricsSettings } from './metrics.js';
import { type BackupStorage, openStorage } from './storage/index.js';

export interface BackupArgs {
  storage?: string;
}

export interface BackupCommandContext {
  config: PreflightConfig;
  targetName: string;
  storageUrl: string;
  storage: BackupStorage;
  metrics: MetricsSettings;
  home: string;
}

/** Storage: --storage, else targets.<t>.backup.storage, else a local directory under PREFLIGHT_HOME. */
export function openBackupContext(
  argv: BackupArgs & { target?: string },
  context: Context,
): BackupCommandContext {
  const { config } = context.loadConfig();
  const targetName = argv.target ?? config.defaultTarget;
  const home = getPreflightHome(context.env, context.cwd);
  const storageUrl =
    argv.storage ??
    config.targets[targetName]?.backup.storage ??
    pathToFileURL(join(home, 'backups', 'storage')).toString();
  const storage = openStorage(storageUrl, config.backups, {
    env: context.env,
    cwd: context.cwd,
    onRetry: (error, retry, delayMs) =>
      context.out.warn(
        `storage: transient error (${redact(String((error as Error)?.name ?? error))}), retry ${retry} in ${delayMs} ms`,
      ),
  });
  return {
    config,
    targetName,
    storageUrl: storage.displayUrl,
    storage,
    metrics: { pushgatewayUrl: config.backups.pushgatewayUrl, textfileDir: config.backups.textfileDir },
    home,
  };
}

export function readAgeIdentity(config: PreflightConfig, env: NodeJS.ProcessEnv): string | undefined {
  const value = env[config.backups.ageIdentityEnv];
  registerSecret(value);
  return value?.trim() || undefined;
}

export function requireAdminUrl(adminUrl: string | undefined, targetName: string): string {
  if (adminUrl) return adminUrl;
  throw new PreflightError('E_CONFIG', `Target "${targetName}" has no admin database URL`, {
    hint: `set targets.${targetName}.database.adminUrlEnv in preflight.yaml and export that variable (on Supabase: the direct connection or the session pooler on port 5432)`,
  });
}
