/**
 * The environment variables a config names for its secrets (every key ending in `Env`), found by walking the
 * config, and which of them a target needs but the environment does not set.
 */
import { configSchema, type PreflightConfig, type TargetConfig, targetSchema } from './schema.js';

export interface SecretReference {
  /** Key path that names the variable: `targets.staging.accounts.studentA.passwordEnv`. */
  key: string;
  variable: string;
  /** The targets that need it. */
  targets: string[];
  /** Why a key that applies only sometimes is needed (a shared or defaulted key); undefined otherwise. */
  reason: string | undefined;
}

export interface MissingSecret extends SecretReference {
  /** `unset`: not in the environment; `empty`: set to an empty or blank value. */
  state: 'unset' | 'empty';
  /** `targets.staging.accounts.studentA.passwordEnv -> PREFLIGHT_STUDENT_A_PASSWORD is not set` */
  message: string;
  /** `export PREFLIGHT_STUDENT_A_PASSWORD=...` */
  hint: string;
}

/** Returns why target `name` needs the key, or false when it does not. */
type NeedRule = (target: TargetConfig, name: string, config: PreflightConfig) => string | false;

const needsRemoteWrite: NeedRule = (t, name) =>
  t.grafana.remoteWriteUrl ? `targets.${name}.grafana.remoteWriteUrl is set` : false;

const needsS3: NeedRule = (t, name) =>
  t.backup.storage?.startsWith('s3://') ? `targets.${name}.backup.storage is ${t.backup.storage}` : false;

const needsAgeIdentity: NeedRule = (t, name, config) =>
  t.backup.storage && !config.backups.ageIdentityFile
    ? `targets.${name}.backup.storage is set: backup verify decrypts with it`
    : false;

const needsSlackWebhook: NeedRule = (t, name, config) =>
  t.grafana.url && config.monitoring.environments.includes(name)
    ? `targets.${name}.grafana.url is set: \`monitor deploy\` creates its Slack contact point`
    : false;

export interface SecretKeyRules {
  /** By key path inside a target. */
  target: Record<string, NeedRule>;
  /** By key path outside `targets`: needed only through what a target uses. */
  shared: Record<string, NeedRule>;
}

/** Keys needed only in some set-ups. Any key without a rule is needed unless it holds its untouched schema default. */
export const secretKeyRules: SecretKeyRules = {
  target: {
    'grafana.remoteWriteUsernameEnv': needsRemoteWrite,
    'grafana.remoteWritePasswordEnv': needsRemoteWrite,
  },
  shared: {
    'backups.ageIdentityEnv': needsAgeIdentity,
    'backups.s3.accessKeyIdEnv': needsS3,
    'backups.s3.secretAccessKeyEnv': needsS3,
    'monitoring.slackWebhookEnv': needsSlackWebhook,
  },
};

/** The value of a secret variable; undefined when it is unset, empty or blank. */
export function readSecretEnv(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Every variable the named targets need, with the key that names it (targets missing from the config have none). */
export function listSecretReferences(
  config: PreflightConfig,
  targetNames: string[],
  rules: SecretKeyRules = secretKeyRules,
): SecretReference[] {
  const byKey = new Map<string, SecretReference>();
  const add = (key: string, variable: string, name: string, reason: string | undefined) => {
    const known = byKey.get(key);
    if (!known) {
      byKey.set(key, { key, variable, targets: [name], reason });
      return;
    }
    if (!known.targets.includes(name)) known.targets.push(name);
    if (reason && !known.reason?.includes(reason))
      known.reason = known.reason ? `${known.reason}; ${reason}` : reason;
  };
  const targetDefaults = targetSchema.jsonSchema();
  const { targets: _targets, ...shared } = config;
  const sharedDefaults = configSchema.jsonSchema();
  for (const name of targetNames) {
    const target = config.targets[name];
    if (!target) continue;
    for (const { path, variable } of findEnvKeys(target, [])) {
      const need = decideNeed(rules.target, targetDefaults, path, variable, target, name, config);
      if (need !== false) add(`targets.${name}.${path.join('.')}`, variable, name, need);
    }
    for (const { path, variable } of findEnvKeys(shared, [])) {
      const need = decideNeed(rules.shared, sharedDefaults, path, variable, target, name, config);
      if (need !== false) add(path.join('.'), variable, name, need);
    }
  }
  return [...byKey.values()];
}

/** The variables the named targets need that are unset or empty, each with its message and fix. */
export function findMissingSecrets(
  config: PreflightConfig,
  targetNames: string[],
  env: NodeJS.ProcessEnv,
): MissingSecret[] {
  const missing: MissingSecret[] = [];
  for (const ref of listSecretReferences(config, targetNames)) {
    if (readSecretEnv(env, ref.variable) !== undefined) continue;
    const state = env[ref.variable] === undefined ? 'unset' : 'empty';
    missing.push({
      ...ref,
      state,
      message: `${ref.key} -> ${ref.variable} ${state === 'unset' ? 'is not set' : 'is empty'}${ref.reason ? ` (${ref.reason})` : ''}`,
      hint: `export ${ref.variable}=...`,
    });
  }
  return missing;
}

/** One `export A=... B=...` line for every missing variable. */
export function formatExportHint(missing: MissingSecret[]): string {
  const variables = [...new Set(missing.map((m) => m.variable))];
  return `export ${variables.map((v) => `${v}=...`).join(' ')}`;
}

/** undefined when the key is needed without a condition, the reason when a rule says it is needed, false when not. */
function decideNeed(
  rules: Record<string, NeedRule>,
  schema: JsonSchemaNode,
  path: string[],
  variable: string,
  target: TargetConfig,
  name: string,
  config: PreflightConfig,
): string | undefined | false {
  const rule = rules[path.join('.')];
  if (rule) return rule(target, name, config);
  // a default nobody asked for (no rule says it matters) is not a secret this target needs
  return getSchemaDefault(schema, path) === variable ? false : undefined;
}

function* findEnvKeys(value: unknown, path: string[]): Generator<{ path: string[]; variable: string }> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.endsWith('Env') && typeof child === 'string') {
      if (child) yield { path: [...path, key], variable: child };
    } else {
      yield* findEnvKeys(child, [...path, key]);
    }
  }
}

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  default?: unknown;
}

function getSchemaDefault(schema: JsonSchemaNode, path: string[]): unknown {
  let node: JsonSchemaNode | undefined = schema;
  for (const segment of path) node = node?.properties?.[segment];
  return node?.default;
}
