import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { PreflightError } from '../errors.js';
import { resolveTarget } from '../target.js';
import { applyEnvOverrides, getConfigJsonSchema, loadConfig, validateConfig } from './load.js';

function writeConfig(text: string): string {
  const dir = makeTempDir('preflight-config-');
  writeFileSync(join(dir, 'preflight.yaml'), text);
  return dir;
}

const staging = `
defaultTarget: staging
targets:
  staging:
    baseUrl: https://api.staging.example.com
    auth: { style: cookie }
    origin: https://beta.example.com
    accounts:
      studentA: { email: a@example.com, passwordEnv: PF_STUDENT_A_PASSWORD }
    rateLimitBypass: { tokenEnv: PF_BYPASS }
    database: { readonlyUrlEnv: PF_DB_RO }
`;

describe('config', () => {
  it('works with no config file at all (built-in sandbox default)', () => {
    const dir = makeTempDir('preflight-empty-');
    const { config, path } = loadConfig({ cwd: dir, env: {} });
    expect(path).toBeUndefined();
    expect(config.defaultTarget).toBe('sandbox');
    expect(config.backups.retention).toEqual({ daily: 7, weekly: 4, monthly: 6 });
  });

  it('loads a file, fills defaults and reads secrets only from the named variables', () => {
    const dir = writeConfig(staging);
    const env = { PF_STUDENT_A_PASSWORD: 'pw-a', PF_BYPASS: 'tok', PF_DB_RO: 'postgresql://ro:x@db/app' };
    const { config } = loadConfig({ cwd: dir, env });
    const target = resolveTarget(config, undefined, { env });
    expect(target.apiBase).toBe('https://api.staging.example.com/api/v1');
    expect(target.auth.style).toBe('cookie');
    expect(target.auth.cookieName).toBe('sid');
    expect(target.accounts.studentA?.password).toBe('pw-a');
    expect(target.rateLimitBypass).toEqual({ header: 'X-Rate-Limit-Bypass', token: 'tok' });
    expect(target.database.readonlyUrl).toBe('postgresql://ro:x@db/app');
    expect(target.rateLimits.globalPerIpPerMinute).toBe(150);
    expect(target.allowedHosts).toEqual(['api.staging.example.com']);
  });

  it('names the key path, the bad value and what is expected', () => {
    const dir = writeConfig(
      'targets:\n  prod:\n    baseUrl: ftp://x\n    slo: { p95Ms: fast }\n    bogus: 1\n',
    );
    try {
      loadConfig({ cwd: dir, env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PreflightError);
      const e = error as PreflightError;
      expect(e.code).toBe('E_CONFIG');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(
        'targets.prod.baseUrl: expected a URL with scheme http: or https:, got "ftp://x"',
      );
      expect(e.message).toContain('targets.prod.slo.p95Ms: expected a number >= 1, got "fast"');
      expect(e.message).toContain('targets.prod.bogus: unknown key');
    }
  });

  it('rejects a secret written into the config instead of a variable name', () => {
    expect(() =>
      validateConfig({
        targets: {
          t: {
            baseUrl: 'http://127.0.0.1:1',
            accounts: { admin: { email: 'a@b', passwordEnv: 'hunter2!' } },
          },
        },
      }),
    ).toThrow(/targets\.t\.accounts\.admin\.passwordEnv: expected an environment variable name/);
  });

  it('reports invalid YAML with the file name', () => {
    const dir = writeConfig('targets: [unclosed');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/preflight\.yaml is not valid YAML/);
  });

  it('errors on a missing explicit --config file', () => {
    expect(() => loadConfig({ path: '/nonexistent/preflight.yaml', env: {} })).toThrow(/does not exist/);
  });

  it('lets environment variables override keys', () => {
    const raw = applyEnvOverrides(
      { targets: { staging: { baseUrl: 'https://a.example.com' } } },
      {
        PREFLIGHT__targets__staging__baseUrl: 'https://b.example.com',
        PREFLIGHT__targets__staging__slo__p95Ms: '250',
        PREFLIGHT_TARGET: 'staging',
      },
    );
    const config = validateConfig(raw);
    expect(config.defaultTarget).toBe('staging');
    expect(config.targets.staging?.baseUrl).toBe('https://b.example.com');
    expect(config.targets.staging?.slo.p95Ms).toBe(250);
  });

  it('reports an unknown target with the known ones', () => {
    const config = validateConfig({});
    expect(() => resolveTarget(config, 'nope', { env: {} })).toThrow(/Unknown target "nope"/);
  });

  it('generates a JSON Schema with a description for every key', () => {
    const schema = getConfigJsonSchema() as {
      properties: Record<string, { description?: string; properties?: Record<string, unknown> }>;
    };
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      if (typeof node.description !== 'string' || node.description.length === 0) missing.push(path);
      for (const [k, child] of Object.entries(
        (node.properties as Record<string, Record<string, unknown>>) ?? {},
      ))
        walk(child, `${path}.${k}`);
      if (node.additionalProperties && typeof node.additionalProperties === 'object')
        walk(node.additionalProperties as Record<string, unknown>, `${path}.*`);
    };
    walk(schema as unknown as Record<string, unknown>, '');
    expect(missing).toEqual([]);
    expect(schema.properties.targets).toBeDefined();
  });
});
