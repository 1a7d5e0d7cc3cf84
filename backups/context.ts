/** What every backup command resolves first: the target name, the storage, the metrics destination and the config. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from '../src/core/cli/context.js';
import type { PreflightConfig } from '../src/core/config/schema.js';
import { PreflightError } from '../src/core/errors.js';
import { getPreflightHome } from '../src/core/home.js';
import { registerSecret } from '../src/core/redact.js';
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
    onRetry: (retry) => context.out.warn(`storage: a request failed, retry ${retry}`),
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

/**
 * The age identity text: the variable named by backups.ageIdentityEnv, else the file backups.ageIdentityFile.
 * Either may hold a whole age-keygen key file (comments included); every secret line is registered for redaction.
 */
export function readAgeIdentity(
  config: PreflightConfig,
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): string | undefined {
  let value = env[config.backups.ageIdentityEnv];
  if (!value?.trim() && config.backups.ageIdentityFile) {
    const path = resolve(cwd, config.backups.ageIdentityFile);
    try {
      value = readFileSync(path, 'utf8');
    } catch (error) {
      throw new PreflightError(
        'E_CONFIG',
        `Cannot read the age identity file ${path} (backups.ageIdentityFile): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { hint: 'point backups.ageIdentityFile at the key file age-keygen -o wrote' },
      );
    }
  }
  for (const line of value?.split(/\r?\n/) ?? [])
    if (line.trim().startsWith('AGE-SECRET-KEY-')) registerSecret(line.trim());
  registerSecret(value);
  return value?.trim() || undefined;
}

export function requireAdminUrl(adminUrl: string | undefined, targetName: string): string {
  if (adminUrl) return adminUrl;
  throw new PreflightError('E_CONFIG', `Target "${targetName}" has no admin database URL`, {
    hint: `set targets.${targetName}.database.adminUrlEnv in preflight.yaml and export that variable (on Supabase: the direct connection or the session pooler on port 5432)`,
  });
}
