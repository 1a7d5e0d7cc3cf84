import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/helpers/cli.js';
import {
  createPlatformRegistry,
  createSupabaseRegistry,
  startMetricsServer,
} from './fixtures/metrics-server.js';

const cwd = mkdtempSync(join(tmpdir(), 'preflight-monitor-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const fakeTerraform = join(import.meta.dirname, 'fixtures', 'bin', 'terraform');

writeFileSync(
  join(cwd, 'preflight.yaml'),
  `targets:
  staging:
    baseUrl: https://api.staging.example.com
    environment: staging
    grafana:
      url: https://staging.grafana.net
      remoteWriteUrl: https://prometheus-prod.grafana.net/api/prom/push
    metricsAuth:
      passwordEnv: STAGING_METRICS_PASSWORD
    supabaseMetrics:
      url: https://abcd.supabase.co/customer/v1/privileged/metrics
      passwordEnv: STAGING_SUPABASE_SERVICE_ROLE_KEY
  production:
    baseUrl: https://api.example.com
    environment: production
    production: true
monitoring:
  alertEmail: oncall@instainstru.test
`,
);

describe('preflight monitor (CLI subprocess)', () => {
  it('synth writes one cdk.tf.json per environment and the rule files', async () => {
    const run = await runCli(['monitor', 'synth', '--json'], { cwd });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      stacks: Array<{ target: string; resources: Record<string, number> }>;
    };
    expect(result.stacks.map((s) => s.target)).toEqual(['staging', 'production']);
    for (const env of ['staging', 'production']) {
      expect(existsSync(join(cwd, 'cdktf.out', 'stacks', env, 'cdk.tf.json'))).toBe(true);
      expect(readFileSync(join(cwd, 'cdktf.out', 'prometheus', `${env}.rules.yml`), 'utf8')).toContain(
        `environment="${env}"`,
      );
    }
  });

  it('diff without Terraform stops with E_TOOL_MISSING naming what to install', async () => {
    const run = await runCli(['monitor', 'diff', '--terraform', '/nonexistent/bin/terraform'], { cwd });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('E_TOOL_MISSING');
    expect(run.stderr).toContain('install Terraform or OpenTofu');
  });

  it('diff without any tool on PATH names terraform and cdktn', async () => {
    const run = await runCli(['monitor', 'diff', '--json'], {
      cwd,
      env: { PATH: join(cwd, 'empty-bin'), TERRAFORM_BIN: '' },
    });
    expect(run.code).toBe(4);
    const error = JSON.parse(run.stdout).error as { code: string; hint: string };
    expect(error.code).toBe('E_TOOL_MISSING');
    expect(error.hint).toContain('Terraform');
    expect(error.hint).toContain('cdktn');
  });

  it('diff runs terraform init + plan in each stack directory, passing the Slack webhook as TF_VAR only', async () => {
    const log = join(cwd, 'terraform.log');
    const run = await runCli(['monitor', 'diff', '--terraform', fakeTerraform, '--json'], {
      cwd,
      env: {
        FAKE_TERRAFORM_LOG: log,
        GRAFANA_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/secretvalue',
      },
    });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      runs: Array<{ stack: string; ok: boolean; changes: boolean }>;
    };
    expect(result.runs).toEqual([
      expect.objectContaining({ stack: 'staging', ok: true, changes: true }),
      expect.objectContaining({ stack: 'production', ok: true, changes: true }),
    ]);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('cdktf.out/stacks/staging init -input=false');
    expect(calls).toContain('cdktf.out/stacks/production plan -input=false -no-color -detailed-exitcode');
    expect(calls).toContain('TF_VAR_slack_webhook_url');
    expect(run.stdout).not.toContain('secretvalue');
  });

  it('deploy refuses without --yes', async () => {
    const run = await runCli(['monitor', 'deploy', '--terraform', fakeTerraform], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--yes');
  });

  it('test names the package when promtool is missing', async () => {
    const run = await runCli(
      ['monitor', 'test', '--no-inventory', '--promtool', '/nonexistent/bin/promtool'],
      { cwd },
    );
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('apt-get install prometheus');
  });

  it('alloy writes a config with sys.env credentials and no secret values', async () => {
    const run = await runCli(['monitor', 'alloy', '--target', 'staging'], {
      cwd,
      env: {
        STAGING_METRICS_PASSWORD: 'planted-metrics-password',
        STAGING_SUPABASE_SERVICE_ROLE_KEY: 'planted-service-role',
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prometheus.scrape "platform"');
    expect(run.stdout).toContain('metrics_path    = "/api/v1/metrics/prometheus"');
    expect(run.stdout).toContain('password = sys.env("STAGING_METRICS_PASSWORD")');
    expect(run.stdout).toContain('username = "service_role"');
    expect(run.stdout).toContain('password = sys.env("STAGING_SUPABASE_SERVICE_ROLE_KEY")');
    expect(run.stdout).toContain('url = "https://prometheus-prod.grafana.net/api/prom/push"');
    expect(run.stdout).toContain('username = sys.env("GRAFANA_CLOUD_PROMETHEUS_USERNAME")');
    expect(run.stdout).not.toContain('planted-');
  });

  it('alloy explains a missing remote-write URL', async () => {
    const run = await runCli(['monitor', 'alloy', '--target', 'production'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('grafana.remoteWriteUrl');
  });
});

describe('preflight monitor test against a live target (CLI subprocess)', () => {
  it('fails naming the alert and panels whose metric the target stopped exporting', async () => {
    const platform = await startMetricsServer(
      createPlatformRegistry({ omit: ['instainstru_db_pool_usage_percent'] }),
      {
        username: 'metrics',
        password: 'fixture-metrics-password',
      },
    );
    const supabase = await startMetricsServer(createSupabaseRegistry(), {
      username: 'service_role',
      password: 'fixture-service-role',
    });
    const dir = mkdtempSync(join(tmpdir(), 'preflight-monitor-live-'));
    try {
      writeFileSync(
        join(dir, 'preflight.yaml'),
        `targets:
  fixture:
    baseUrl: ${new URL(platform.url).origin}
    platform:
      apiPrefix: ''
      routes: { metrics: { path: /metrics } }
    environment: fixture
    metricsAuth:
      passwordEnv: FIXTURE_METRICS_PASSWORD
    supabaseMetrics:
      url: ${supabase.url}
      passwordEnv: FIXTURE_SERVICE_ROLE
monitoring:
  environments: [fixture]
`,
      );
      const run = await runCli(['monitor', 'test', '--target', 'fixture', '--json'], {
        cwd: dir,
        env: {
          FIXTURE_METRICS_PASSWORD: 'fixture-metrics-password',
          FIXTURE_SERVICE_ROLE: 'fixture-service-role',
        },
        timeoutMs: 120_000,
      });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        steps: Array<{ name: string; ok: boolean; problems: string[] }>;
      };
      const inventory = report.steps.find((s) => s.name === 'inventory')!;
      expect(report.steps.filter((s) => !s.ok).map((s) => s.name)).toEqual(['inventory']);
      expect(
        inventory.problems.some(
          (p) => p.includes('alert "DbPoolSaturated"') && p.includes('instainstru_db_pool_usage_percent'),
        ),
      ).toBe(true);
      expect(
        inventory.problems.some((p) =>
          p.includes('panel "Pool usage" of dashboard "Database and connection pool"'),
        ),
      ).toBe(true);
      expect(run.stdout).not.toContain('fixture-metrics-password');
    } finally {
      await platform.close();
      await supabase.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('preflight monitor up (CLI subprocess)', () => {
  it('refuses a port that is in use', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const metrics = await startMetricsServer(createPlatformRegistry());
    const dir = mkdtempSync(join(tmpdir(), 'preflight-monitor-up-'));
    try {
      writeFileSync(
        join(dir, 'preflight.yaml'),
        `targets:\n  fixture:\n    baseUrl: ${new URL(metrics.url).origin}\n    platform:\n      apiPrefix: ''\n      routes: { metrics: { path: /metrics } }\n`,
      );
      const run = await runCli(['monitor', 'up', '--target', 'fixture', '--port', String(port)], {
        cwd: dir,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('E_PORT_IN_USE');
    } finally {
      server.close();
      await metrics.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
