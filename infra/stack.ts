/**
 * One monitoring stack per environment: the grafana provider, a folder, the Prometheus (Mimir) data
 * source, the dashboards, the rule groups, Slack and email contact points, the notification policy
 * and synthetic HTTP checks of the health and ready routes. Secrets are sensitive Terraform variables only.
 */
import { Fn, LocalBackend, TerraformStack, TerraformVariable } from 'cdktn';
import type { Construct } from 'constructs';
import type { DashboardDefinition } from '../monitoring/dashboards.js';
import type { GrafanaRuleGroup, GrafanaRuleQuery } from '../monitoring/rules.js';
import { GrafanaProvider } from './grafana/resource.js';
import {
  ContactPoint,
  Dashboard,
  DataSource,
  Folder,
  NotificationPolicy,
  type RuleArgs,
  type RuleDataArgs,
  RuleGroup,
  SyntheticMonitoringCheck,
  SyntheticMonitoringProbes,
} from './grafana/resources.js';

export interface MonitoringStackProps {
  /** Environment label and stack name suffix. */
  environment: string;
  /** Default of var.grafana_url (the Grafana Cloud stack), when the config names it. */
  grafanaUrl?: string;
  /** Default of var.prometheus_url (the Grafana Cloud Prometheus query endpoint), when known. */
  prometheusUrl?: string;
  datasourceUid: string;
  dashboards: DashboardDefinition[];
  ruleGroups: GrafanaRuleGroup[];
  alertEmail: string;
  /** Absolute URLs of the health and ready endpoints the synthetic checks call. */
  healthUrl: string;
  readyUrl: string;
  /** Public probe names the checks run from. */
  probeNames: string[];
  production: boolean;
}

/** The Terraform variables every stack declares; sensitive ones never get a default. */
export const stackVariables = {
  grafana_url: { sensitive: false, description: 'Grafana URL (Grafana Cloud stack)' },
  grafana_auth: { sensitive: true, description: 'Grafana service account token (TF_VAR_grafana_auth)' },
  grafana_sm_url: { sensitive: false, description: 'Synthetic Monitoring API URL of the stack region' },
  grafana_sm_access_token: {
    sensitive: true,
    description: 'Synthetic Monitoring access token (TF_VAR_grafana_sm_access_token)',
  },
  prometheus_url: { sensitive: false, description: 'Grafana Cloud Prometheus (Mimir) query URL' },
  prometheus_username: { sensitive: false, description: 'Grafana Cloud Prometheus instance id' },
  prometheus_password: {
    sensitive: true,
    description: 'Grafana Cloud access policy token that can read metrics (TF_VAR_prometheus_password)',
  },
  slack_webhook_url: {
    sensitive: true,
    description: 'Slack incoming webhook URL (TF_VAR_slack_webhook_url)',
  },
} as const;

export type StackVariableName = keyof typeof stackVariables;

export class MonitoringStack extends TerraformStack {
  readonly variables: Record<StackVariableName, TerraformVariable>;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    // relative to cdktf.out/stacks/<id>/: the state sits in cdktf.out/state/, which synth never rewrites (use a remote
    // backend for teams; the state holds the sensitive values)
    new LocalBackend(this, { path: `../../state/terraform.${id}.tfstate` });
    const defaults: Partial<Record<StackVariableName, string>> = {
      grafana_url: props.grafanaUrl,
      grafana_sm_url: 'https://synthetic-monitoring-api.grafana.net',
      prometheus_url: props.prometheusUrl,
    };
    this.variables = Object.fromEntries(
      (
        Object.entries(stackVariables) as Array<
          [StackVariableName, (typeof stackVariables)[StackVariableName]]
        >
      ).map(([name, spec]) => [
        name,
        new TerraformVariable(this, name, {
          type: 'string',
          description: spec.description,
          sensitive: spec.sensitive,
          ...(defaults[name] === undefined ? {} : { default: defaults[name] }),
        }),
      ]),
    ) as Record<StackVariableName, TerraformVariable>;
    const v = this.variables;

    new GrafanaProvider(this, 'grafana', {
      url: v.grafana_url.stringValue,
      auth: v.grafana_auth.stringValue,
      sm_url: v.grafana_sm_url.stringValue,
      sm_access_token: v.grafana_sm_access_token.stringValue,
    });

    const folder = new Folder(this, 'folder', {
      title: `Preflight (${props.environment})`,
      uid: `preflight-${props.environment}`,
    });

    const datasource = new DataSource(this, 'prometheus', {
      type: 'prometheus',
      name: `Preflight Prometheus (${props.environment})`,
      uid: props.datasourceUid,
      url: v.prometheus_url.stringValue,
      access_mode: 'proxy',
      basic_auth_enabled: true,
      basic_auth_username: v.prometheus_username.stringValue,
      json_data_encoded: JSON.stringify({ httpMethod: 'POST', prometheusType: 'Mimir' }),
      secure_json_data_encoded: Fn.jsonencode({ basicAuthPassword: v.prometheus_password.stringValue }),
    });

    for (const definition of props.dashboards) {
      new Dashboard(this, `dashboard_${definition.key}`, {
        config_json: JSON.stringify(definition.dashboard),
        folder: folder.uid,
        overwrite: true,
        message: 'Provisioned by preflight monitor deploy',
      });
    }

    const toData = (query: GrafanaRuleQuery): RuleDataArgs => ({
      ref_id: query.refId,
      datasource_uid: query.datasourceUid === props.datasourceUid ? datasource.uid : query.datasourceUid,
      relative_time_range: [query.relativeTimeRange],
      model: JSON.stringify(query.model),
    });
    for (const group of props.ruleGroups) {
      const rules: RuleArgs[] = [
        ...group.records.map((record) => ({
          name: record.name,
          labels: record.labels,
          data: record.data.map(toData),
          record: [{ metric: record.metric, from: record.from }],
        })),
        ...group.alerts.map((alert) => ({
          name: alert.name,
          for: alert.for,
          condition: alert.condition,
          no_data_state: alert.noDataState,
          exec_err_state: alert.execErrState,
          labels: alert.labels,
          annotations: alert.annotations,
          data: alert.data.map(toData),
        })),
      ];
      new RuleGroup(this, `rules_${group.name.replace(/[^a-zA-Z0-9]/g, '_')}`, {
        name: group.name,
        folder_uid: folder.uid,
        interval_seconds: group.intervalSeconds,
        rule: rules,
      });
    }

    const slack = new ContactPoint(this, 'slack', {
      name: `preflight-slack-${props.environment}`,
      slack: [
        {
          url: v.slack_webhook_url.stringValue,
          title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }})',
          text: '{{ range .Alerts }}{{ .Annotations.summary }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}',
        },
      ],
    });
    const email = new ContactPoint(this, 'email', {
      name: `preflight-email-${props.environment}`,
      email: [
        {
          addresses: [props.alertEmail],
          single_email: true,
          subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
        },
      ],
    });

    const severity = (value: string) => [{ label: 'severity', match: '=' as const, value }];
    new NotificationPolicy(this, 'policy', {
      contact_point: slack.name,
      group_by: ['alertname', 'environment'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      policy: [
        { matcher: severity('critical'), contact_point: slack.name, continue: true },
        { matcher: severity('critical'), contact_point: email.name, repeat_interval: '1h' },
        { matcher: severity('warning'), contact_point: slack.name },
      ],
    });

    const probes = new SyntheticMonitoringProbes(this, 'probes');
    const check = (id: string, job: string, target: string) =>
      new SyntheticMonitoringCheck(this, id, {
        job,
        target,
        enabled: true,
        probes: props.probeNames.map((name) => probes.getProbeId(name)),
        labels: { environment: props.environment },
        frequency: 60_000,
        timeout: 5_000,
        alert_sensitivity: props.production ? 'high' : 'medium',
        settings: [
          {
            http: [
              {
                method: 'GET',
                valid_status_codes: [200],
                fail_if_not_ssl: props.production,
                ip_version: 'V4',
              },
            ],
          },
        ],
      });
    check('check_health', `preflight-${props.environment}-health`, props.healthUrl);
    check('check_ready', `preflight-${props.environment}-ready`, props.readyUrl);
  }
}
