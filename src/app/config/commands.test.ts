import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'config-check-test-'));
/** Only what a test sets is seen: no config from the environment, the default-named secrets unset. */
const isolated: NodeJS.ProcessEnv = {
  PREFLIGHT_HOME: join(work, 'home'),
  PREFLIGHT_CONFIG: '',
  PREFLIGHT_TARGET: '',
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  PREFLIGHT_AGE_IDENTITY: undefined,
  GRAFANA_CLOUD_PROMETHEUS_USERNAME: undefined,
  GRAFANA_CLOUD_PROMETHEUS_TOKEN: undefined,
  GRAFANA_SLACK_WEBHOOK_URL: undefined,
};

const password = 'student-a-secret-pw-77';
const allSet = {
  PF_TEST_STUDENT_A_PASSWORD: password,
  PF_TEST_BYPASS: 'bypass-token-secret-88',
  PF_TEST_DB_RO: 'postgresql://ro:db-secret-99@127.0.0.1:5432/app',
};

function writeConfig(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, body);
  return path;
}

const staging = `
    baseUrl: https://api.staging.example.com
    auth: { style: cookie, cookieName: sid }
    accounts:
      studentA: { email: a@example.com, passwordEnv: PF_TEST_STUDENT_A_PASSWORD }
    rateLimitBypass: { tokenEnv: PF_TEST_BYPASS }
    database: { readonlyUrlEnv: PF_TEST_DB_RO }
`;

interface MissingJson {
  key: string;
  variable: string;
  targets: string[];
  state: 'unset' | 'empty';
  message: string;
  hint: string;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('preflight config check: secret variables (the real CLI as a subprocess)', () => {
  it('exits 2 naming an unexported passwordEnv, the key that references it and the export that fixes it', async () => {
    const config = writeConfig('staging.yaml', `targets:\n  staging:${staging}`);
    const env = { ...isolated, ...allSet, PF_TEST_STUDENT_A_PASSWORD: undefined };
    const table = await runCli(['config', 'check', '--config', config], { cwd: work, env });
    expect(table.code).toBe(2);
    expect(table.stdout).toBe('');
    expect(table.stderr).toContain('error[E_CONFIG]: 1 secret variable is not set for target "staging"');
    expect(table.stderr).toContain(
      'targets.staging.accounts.studentA.passwordEnv -> PF_TEST_STUDENT_A_PASSWORD is not set',
    );
    expect(table.stderr).toContain('hint: export PF_TEST_STUDENT_A_PASSWORD=...');
    expect(table.stderr).not.toContain('PF_TEST_BYPASS');

    const json = await runCli(['config', 'check', '--target', 'staging', '--config', config, '--json'], {
      cwd: work,
      env: { ...env, PF_TEST_BYPASS: '' },
    });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { ok: boolean; missingSecrets: MissingJson[]; error: unknown };
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'E_CONFIG', exitCode: 2 });
    expect(report.missingSecrets).toEqual([
      {
        key: 'targets.staging.accounts.studentA.passwordEnv',
        variable: 'PF_TEST_STUDENT_A_PASSWORD',
        targets: ['staging'],
        state: 'unset',
        message: 'targets.staging.accounts.studentA.passwordEnv -> PF_TEST_STUDENT_A_PASSWORD is not set',
        hint: 'export PF_TEST_STUDENT_A_PASSWORD=...',
      },
      {
        key: 'targets.staging.rateLimitBypass.tokenEnv',
        variable: 'PF_TEST_BYPASS',
        targets: ['staging'],
        state: 'empty',
        message: 'targets.staging.rateLimitBypass.tokenEnv -> PF_TEST_BYPASS is empty',
        hint: 'export PF_TEST_BYPASS=...',
      },
    ]);
    expect(json.stdout).not.toContain('db-secret-99');
  });

  it('exits 0 when every variable is set, shows the cookie name `sid` and masks the secrets', async () => {
    const config = writeConfig('staging-ok.yaml', `targets:\n  staging:${staging}`);
    const env = { ...isolated, ...allSet };
    const { code, stdout, stderr } = await runCli(
      ['config', 'check', '--target', 'staging', '--config', config, '--no-color'],
      { cwd: work, env },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('is valid. Every secret variable it names is set (3).');
    expect(stdout).toContain('"cookieName": "sid"');
    expect(stdout).toContain('"password": "***"');
    for (const secret of [password, 'bypass-token-secret-88', 'db-secret-99'])
      expect(stdout).not.toContain(secret);
  });

  it('names remote-write, backup and S3 variables only for the targets that use them', async () => {
    const config = writeConfig(
      'many.yaml',
      `targets:
  staging:${staging}
  metrics:
    baseUrl: https://metrics.example.com
    grafana:
      url: https://stack.grafana.net
      remoteWriteUrl: https://prometheus.grafana.net/api/prom/push
    backup: { storage: 's3://bucket/metrics' }
monitoring: { environments: [staging] }
`,
    );
    const env = { ...isolated, ...allSet };
    // staging alone uses none of the defaulted variables
    const staged = await runCli(['config', 'check', '--target', 'staging', '--config', config], {
      cwd: work,
      env,
    });
    expect(staged.code).toBe(0);

    const all = await runCli(['config', 'check', '--config', config, '--json'], { cwd: work, env });
    expect(all.code).toBe(2);
    const report = JSON.parse(all.stdout) as { missingSecrets: MissingJson[] };
    expect(report.missingSecrets.map((m) => m.message)).toEqual([
      'targets.metrics.grafana.remoteWriteUsernameEnv -> GRAFANA_CLOUD_PROMETHEUS_USERNAME is not set (targets.metrics.grafana.remoteWriteUrl is set)',
      'targets.metrics.grafana.remoteWritePasswordEnv -> GRAFANA_CLOUD_PROMETHEUS_TOKEN is not set (targets.metrics.grafana.remoteWriteUrl is set)',
      'backups.ageIdentityEnv -> PREFLIGHT_AGE_IDENTITY is not set (targets.metrics.backup.storage is set: backup verify decrypts with it)',
      'backups.s3.accessKeyIdEnv -> AWS_ACCESS_KEY_ID is not set (targets.metrics.backup.storage is s3://bucket/metrics)',
      'backups.s3.secretAccessKeyEnv -> AWS_SECRET_ACCESS_KEY is not set (targets.metrics.backup.storage is s3://bucket/metrics)',
    ]);
    expect(all.stderr).toContain('5 secret variables are not set for targets staging, metrics:');
    expect(all.stderr).toContain('(or check one target with --target)');
  });
});
