/** Loads preflight.yaml (or the file named by --config / PREFLIGHT_CONFIG), applies environment overrides, validates. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PreflightError } from '../errors.js';
import { configSchema, type PreflightConfig } from './schema.js';
import type { Issue } from './schema-kit.js';

export const defaultConfigFiles = ['preflight.yaml', 'preflight.yml'];

export interface LoadConfigOptions {
  cwd?: string;
  /** Explicit path (--config); an error when it does not exist. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: PreflightConfig;
  /** The file read, or undefined when the built-in defaults were used. */
  path: string | undefined;
}

/** Reads, overrides and validates the configuration. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.path ?? env.PREFLIGHT_CONFIG;
  let path: string | undefined;
  let raw: unknown = {};
  if (explicit) {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new PreflightError('E_CONFIG', `Config file ${path} does not exist`, {
        hint: 'check --config / PREFLIGHT_CONFIG, or run without it to use the built-in sandbox target',
      });
    }
  } else {
    path = defaultConfigFiles.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  }
  if (path) raw = readConfigFile(path);
  const withOverrides = applyEnvOverrides(raw ?? {}, env);
  return { config: validateConfig(withOverrides, path), path };
}

function readConfigFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new PreflightError(
      'E_CONFIG',
      `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: 'fix the syntax at the line named above',
        cause: error,
      },
    );
  }
}

/**
 * Environment overrides: `PREFLIGHT__targets__staging__baseUrl=https://...` sets that key path
 * (values are parsed as JSON when they parse, else taken as strings); `PREFLIGHT_TARGET` sets defaultTarget.
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const out = structuredClone((raw ?? {}) as Record<string, unknown>);
  if (env.PREFLIGHT_TARGET) out.defaultTarget = env.PREFLIGHT_TARGET;
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('PREFLIGHT__') || value === undefined) continue;
    const segments = key.slice('PREFLIGHT__'.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    let node: Record<string, unknown> = out;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (!next || typeof next !== 'object') node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[segments.at(-1)!] = parseScalar(value);
  }
  return out;
}

function parseScalar(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Validates a raw config; the error lists every bad key path with the value and what is expected. */
export function validateConfig(raw: unknown, source?: string): PreflightConfig {
  const issues: Issue[] = [];
  const config = configSchema.parse(raw, '', issues);
  if (issues.length > 0) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
    throw new PreflightError('E_CONFIG', `Invalid configuration${where}:\n${lines}`, {
      hint: 'see docs/configuration.md (or `preflight config schema`) for every key',
      details: { issues },
    });
  }
  return config;
}

/** The JSON Schema of preflight.yaml, generated from the schema definition. */
export function getConfigJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'preflight.yaml',
    ...configSchema.jsonSchema(),
  };
}
