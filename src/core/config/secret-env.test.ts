import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../target.js';
import { validateConfig } from './load.js';
import type { PreflightConfig } from './schema.js';
import {
  findMissingSecrets,
  formatExportHint,
  listSecretReferences,
  type SecretKeyRules,
} from './secret-env.js';

const staging = {
  baseUrl: 'https://api.staging.example.com',
  accounts: {
    studentA: { email: 'a@example.com', passwordEnv: 'PF_STUDENT_A_PASSWORD' },
    admin: { email: 'admin@example.com', passwordEnv: 'PF_ADMIN_PASSWORD' },
  },
  rateLimitBypass: { tokenEnv: 'PF_BYPASS' },
  database: { readonlyUrlEnv: 'PF_DB_RO', adminUrlEnv: 'PF_DB_ADMIN' },
  metricsAuth: { passwordEnv: 'PF_METRICS_PASSWORD' },
  supabaseMetrics: {
    url: 'https://ref.supabase.co/customer/v1/privileged/metrics',
    passwordEnv: 'PF_SERVICE_ROLE',
  },
};

const keysOf = (config: PreflightConfig, targets: string[], rules?: SecretKeyRules) =>
  listSecretReferences(config, targets, rules).map((r) => `${r.key} -> ${r.variable}`);

describe('secret variables the config names', () => {
  it("finds every *Env key of a target, and no default that the target's set-up does not use", () => {
    const config = validateConfig({ targets: { staging } });
    expect(keysOf(config, ['staging'])).toEqual([
      'targets.staging.accounts.studentA.passwordEnv -> PF_STUDENT_A_PASSWORD',
      'targets.staging.accounts.admin.passwordEnv -> PF_ADMIN_PASSWORD',
      'targets.staging.rateLimitBypass.tokenEnv -> PF_BYPASS',
      'targets.staging.database.readonlyUrlEnv -> PF_DB_RO',
      'targets.staging.database.adminUrlEnv -> PF_DB_ADMIN',
      'targets.staging.metricsAuth.passwordEnv -> PF_METRICS_PASSWORD',
      'targets.staging.supabaseMetrics.passwordEnv -> PF_SERVICE_ROLE',
    ]);
    // unknown targets (the built-in sandbox) name no variables
    expect(listSecretReferences(config, ['sandbox'])).toEqual([]);
  });

  it('adds remote write, age identity, S3 and Slack variables only where the target uses them', () => {
    const config = validateConfig({
      targets: {
        staging: {
          ...staging,
          grafana: { url: 'https://stack.grafana.net', remoteWriteUrl: 'https://prom.grafana.net/push' },
          backup: { storage: 's3://bucket/staging' },
        },
        files: { baseUrl: 'https://files.example.com', backup: { storage: 'file:///var/backups' } },
        plain: {
          baseUrl: 'https://plain.example.com',
          grafana: { remoteWriteUsernameEnv: 'PF_RW_USER' },
        },
      },
    });
    const refs = listSecretReferences(config, ['staging']);
    expect(refs.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'targets.staging.grafana.remoteWriteUsernameEnv',
        'targets.staging.grafana.remoteWritePasswordEnv',
        'backups.ageIdentityEnv',
        'backups.s3.accessKeyIdEnv',
        'backups.s3.secretAccessKeyEnv',
        'monitoring.slackWebhookEnv',
      ]),
    );
    expect(refs.find((r) => r.key === 'backups.s3.accessKeyIdEnv')).toMatchObject({
      variable: 'AWS_ACCESS_KEY_ID',
      targets: ['staging'],
      reason: 'targets.staging.backup.storage is s3://bucket/staging',
    });
    expect(refs.find((r) => r.key === 'targets.staging.grafana.remoteWritePasswordEnv')).toMatchObject({
      variable: 'GRAFANA_CLOUD_PROMETHEUS_TOKEN',
      reason: 'targets.staging.grafana.remoteWriteUrl is set',
    });
    // file storage: verify still needs the identity, no S3 credentials
    expect(keysOf(config, ['files'])).toEqual(['backups.ageIdentityEnv -> PREFLIGHT_AGE_IDENTITY']);
    // a remote-write user named without a remoteWriteUrl is not used by anything
    expect(keysOf(config, ['plain'])).toEqual([]);
    // a key shared by several targets is listed once, with every target that needs it
    expect(
      listSecretReferences(config, ['staging', 'files']).find((r) => r.key === 'backups.ageIdentityEnv'),
    ).toMatchObject({
      targets: ['staging', 'files'],
      reason:
        'targets.staging.backup.storage is set: backup verify decrypts with it; targets.files.backup.storage is set: backup verify decrypts with it',
    });
    // an identity read from a file needs no variable
    const withFile = validateConfig({
      targets: {
        files: { baseUrl: 'https://files.example.com', backup: { storage: 'file:///var/backups' } },
      },
      backups: { ageIdentityFile: '/run/secrets/age.key' },
    });
    expect(keysOf(withFile, ['files'])).toEqual([]);
  });

  it('without a rule, a key holding its schema default is not needed, a key the config sets is', () => {
    const config = validateConfig({
      targets: {
        plain: { baseUrl: 'https://plain.example.com', grafana: { remoteWritePasswordEnv: 'PF_RW' } },
      },
      monitoring: { slackWebhookEnv: 'PF_SLACK' },
    });
    expect(keysOf(config, ['plain'], { target: {}, shared: {} })).toEqual([
      'targets.plain.grafana.remoteWritePasswordEnv -> PF_RW',
      'monitoring.slackWebhookEnv -> PF_SLACK',
    ]);
  });

  it('reports unset, empty and blank variables with the key that names them and the export that fixes it', () => {
    const config = validateConfig({ targets: { staging } });
    const env = {
      PF_STUDENT_A_PASSWORD: 'pw-a',
      PF_ADMIN_PASSWORD: '',
      PF_BYPASS: '   ',
      PF_DB_RO: 'postgresql://ro:x@db/app',
      PF_DB_ADMIN: 'postgresql://admin:y@db/app',
      PF_SERVICE_ROLE: 'service-role-key',
    };
    const missing = findMissingSecrets(config, ['staging'], env);
    expect(missing.map((m) => [m.message, m.hint, m.state])).toEqual([
      [
        'targets.staging.accounts.admin.passwordEnv -> PF_ADMIN_PASSWORD is empty',
        'export PF_ADMIN_PASSWORD=...',
        'empty',
      ],
      ['targets.staging.rateLimitBypass.tokenEnv -> PF_BYPASS is empty', 'export PF_BYPASS=...', 'empty'],
      [
        'targets.staging.metricsAuth.passwordEnv -> PF_METRICS_PASSWORD is not set',
        'export PF_METRICS_PASSWORD=...',
        'unset',
      ],
    ]);
    expect(formatExportHint(missing)).toBe(
      'export PF_ADMIN_PASSWORD=... PF_BYPASS=... PF_METRICS_PASSWORD=...',
    );
    // resolveTarget agrees: what is reported missing is what commands do not get
    const target = resolveTarget(config, 'staging', { env });
    expect(target.accounts.admin?.password).toBeUndefined();
    expect(target.rateLimitBypass).toBeUndefined();
    expect(target.accounts.studentA?.password).toBe('pw-a');
    const s3 = validateConfig({
      targets: { staging: { ...staging, backup: { storage: 's3://bucket/x' } } },
    });
    expect(
      findMissingSecrets(s3, ['staging'], { ...env, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }).map((m) => m.message),
    ).toEqual(
      expect.arrayContaining([
        'backups.s3.secretAccessKeyEnv -> AWS_SECRET_ACCESS_KEY is not set (targets.staging.backup.storage is s3://bucket/x)',
        'backups.ageIdentityEnv -> PREFLIGHT_AGE_IDENTITY is not set (targets.staging.backup.storage is set: backup verify decrypts with it)',
      ]),
    );
  });
});
