import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDashboardJson, checkSynthesizedStack, findLeakedSecrets } from '../monitoring/checks.js';
import { buildDashboards } from '../monitoring/dashboards.js';
import { createTestProfile } from '../monitoring/profile.js';
import { validateConfig } from '../src/core/config/load.js';
import { PreflightError } from '../src/core/errors.js';
import { synthMonitoringApp } from './app.js';

/** A Terraform interpolation of a contact point's name. */
const contactPointRef = (name: string) => `$${'{'}grafana_contact_point.${name}.name}`;

const work = mkdtempSync(join(tmpdir(), 'preflight-synth-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = validateConfig({
  targets: {
    staging: {
      baseUrl: 'https://api.staging.example.com',
      environment: 'staging',
      grafana: {
        url: 'https://staging.grafana.net',
        prometheusUrl: 'https://prometheus.grafana.net/api/prom',
      },
    },
    production: { baseUrl: 'https://api.example.com', environment: 'production', production: true },
  },
  monitoring: { alertEmail: 'oncall@instainstru.test' },
});

describe('monitor synth (cdktn in-process)', () => {
  it('writes one cdk.tf.json per environment with every resource and its required arguments', () => {
    const stacks = synthMonitoringApp(config, { outdir: join(work, 'a') });
    expect(stacks.map((s) => s.target)).toEqual(['staging', 'production']);
    for (const stack of stacks) {
      expect(stack.resources).toMatchObject({
        grafana_folder: 1,
        grafana_data_source: 1,
        grafana_dashboard: 6,
        grafana_contact_point: 2,
        grafana_notification_policy: 1,
        grafana_synthetic_monitoring_check: 2,
      });
      expect(stack.resources.grafana_rule_group).toBeGreaterThanOrEqual(5);
      expect(checkSynthesizedStack(stack.file, { dashboards: 6 })).toEqual([]);
    }
    const json = JSON.parse(readFileSync(stacks[0]!.file, 'utf8'));
    expect(json.terraform.required_providers.grafana).toEqual({
      source: 'grafana/grafana',
      version: '~> 4.0',
    });
    const policy = Object.values(json.resource.grafana_notification_policy)[0] as Record<string, unknown>;
    expect(policy.group_by).toEqual(['alertname', 'environment']);
    const routes = (policy.policy as Array<{ matcher: Array<{ value: string }>; contact_point: string }>).map(
      (p) => [p.matcher[0]!.value, p.contact_point],
    );
    expect(routes).toEqual([
      ['critical', contactPointRef('slack')],
      ['critical', contactPointRef('email')],
      ['warning', contactPointRef('slack')],
    ]);
    const checks = Object.values(json.resource.grafana_synthetic_monitoring_check).map(
      (c) => (c as { target: string }).target,
    );
    expect(checks).toEqual([
      'https://api.staging.example.com/api/v1/health',
      'https://api.staging.example.com/api/v1/ready',
    ]);
    expect(json.variable.slack_webhook_url).toMatchObject({ sensitive: true });
    expect(json.variable.slack_webhook_url.default).toBeUndefined();
    const slack = (json.resource.grafana_contact_point.slack.slack as Array<{ url: string }>)[0]!;
    expect(slack.url).toBe(`$${'{'}var.slack_webhook_url}`);
    expect(json.resource.grafana_data_source.prometheus.secure_json_data_encoded).toContain(
      'var.prometheus_password',
    );
  });

  it('is stable: synthesizing twice gives identical files', () => {
    const first = synthMonitoringApp(config, { outdir: join(work, 'b1') });
    const second = synthMonitoringApp(config, { outdir: join(work, 'b2') });
    for (let i = 0; i < first.length; i++) {
      expect(readFileSync(second[i]!.file, 'utf8')).toBe(readFileSync(first[i]!.file, 'utf8'));
    }
    expect(readFileSync(join(work, 'b2', 'manifest.json'), 'utf8')).toBe(
      readFileSync(join(work, 'b1', 'manifest.json'), 'utf8'),
    );
  });

  it('keeps the Terraform state (cdktf.out/state/) and provider cache when synthesizing again', () => {
    const outdir = join(work, 'state');
    synthMonitoringApp(config, { outdir });
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', 'staging', 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend.local.path).toBe('../../state/terraform.staging.tfstate');
    mkdirSync(join(outdir, 'state'), { recursive: true });
    writeFileSync(join(outdir, 'state', 'terraform.staging.tfstate'), '{"version": 4}');
    mkdirSync(join(outdir, 'stacks', 'staging', '.terraform'), { recursive: true });
    synthMonitoringApp(config, { outdir });
    expect(readFileSync(join(outdir, 'state', 'terraform.staging.tfstate'), 'utf8')).toBe('{"version": 4}');
    expect(existsSync(join(outdir, 'stacks', 'staging', '.terraform'))).toBe(true);
  });

  it('never writes secret values from the environment', () => {
    const secrets = {
      GRAFANA_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/planted-secret-webhook',
      GRAFANA_CLOUD_PROMETHEUS_TOKEN: 'glc_planted_secret_token_value',
      TF_VAR_grafana_auth: 'glsa_planted_grafana_token',
    };
    Object.assign(process.env, secrets);
    try {
      const stacks = synthMonitoringApp(config, { outdir: join(work, 'c') });
      for (const stack of stacks) expect(findLeakedSecrets(stack.file, Object.values(secrets))).toEqual([]);
    } finally {
      for (const key of Object.keys(secrets)) delete process.env[key];
    }
  });

  it('the structural check catches a missing required argument', () => {
    const [stack] = synthMonitoringApp(config, { outdir: join(work, 'd'), environments: ['staging'] });
    const json = JSON.parse(readFileSync(stack!.file, 'utf8'));
    delete json.resource.grafana_rule_group[Object.keys(json.resource.grafana_rule_group)[0]!].folder_uid;
    delete json.resource.grafana_folder;
    writeFileSync(stack!.file, JSON.stringify(json));
    const problems = checkSynthesizedStack(stack!.file, { dashboards: 6 }).map((p) => p.message);
    expect(problems).toContain('required argument folder_uid is missing');
    expect(problems).toContain('no grafana_folder resource');
  });

  it('names a monitored environment that is not a target', () => {
    const error = (() => {
      try {
        synthMonitoringApp(validateConfig({}), { outdir: join(work, 'e') });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).message).toContain('"staging"');
  });
});

describe('dashboards (Grafana Foundation SDK)', () => {
  const dashboards = buildDashboards(createTestProfile(), {
    datasourceUid: 'preflight-prom-test',
    uidPrefix: 'preflight-test',
  });

  it('builds six valid dashboards with uid, panels, datasource and targets', () => {
    expect(dashboards.map((d) => d.key)).toEqual([
      'api',
      'database',
      'backups',
      'loadtests',
      'search',
      'pool',
    ]);
    for (const definition of dashboards) expect(checkDashboardJson(definition)).toEqual([]);
  });

  it('has environment and endpoint template variables on the API overview, testid on load tests', () => {
    const names = (key: string) =>
      dashboards.find((d) => d.key === key)!.dashboard.templating?.list?.map((v) => v.name);
    expect(names('api')).toEqual(['environment', 'endpoint']);
    expect(names('loadtests')).toEqual(['testid']);
  });

  it('the JSON check catches a panel without datasource or targets', () => {
    const broken = JSON.parse(JSON.stringify(dashboards[0]!)) as (typeof dashboards)[number];
    const panel = broken.dashboard.panels!.find((p) => p.type !== 'row') as {
      datasource?: unknown;
      targets?: unknown[];
    };
    delete panel.datasource;
    panel.targets = [];
    const messages = checkDashboardJson(broken).map((p) => p.message);
    expect(messages).toContain('has no datasource {type, uid}');
    expect(messages).toContain('has no targets');
  });
});
