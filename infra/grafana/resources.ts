/** Typed constructs for the grafana/grafana provider resources preflight provisions (argument names as the provider documents them). */
import type { Construct } from 'constructs';
import { GrafanaDataSource, GrafanaResource } from './resource.js';

export interface FolderArgs {
  title: string;
  uid?: string;
}

export class Folder extends GrafanaResource<FolderArgs> {
  constructor(scope: Construct, id: string, args: FolderArgs) {
    super(scope, id, 'grafana_folder', args);
  }

  get uid(): string {
    return this.getStringAttribute('uid');
  }
}

export interface DataSourceArgs {
  type: string;
  name: string;
  uid?: string;
  url?: string;
  access_mode?: 'proxy' | 'direct';
  basic_auth_enabled?: boolean;
  basic_auth_username?: string;
  is_default?: boolean;
  json_data_encoded?: string;
  /** Sensitive: pass a Terraform expression (jsonencode of a sensitive variable), never a literal secret. */
  secure_json_data_encoded?: string;
}

export class DataSource extends GrafanaResource<DataSourceArgs> {
  constructor(scope: Construct, id: string, args: DataSourceArgs) {
    super(scope, id, 'grafana_data_source', args);
  }

  get uid(): string {
    return this.getStringAttribute('uid');
  }
}

export interface DashboardArgs {
  config_json: string;
  /** The folder uid. */
  folder?: string;
  overwrite?: boolean;
  message?: string;
}

export class Dashboard extends GrafanaResource<DashboardArgs> {
  constructor(scope: Construct, id: string, args: DashboardArgs) {
    super(scope, id, 'grafana_dashboard', args);
  }
}

export interface RuleDataArgs {
  ref_id: string;
  datasource_uid: string;
  query_type?: string;
  relative_time_range: Array<{ from: number; to: number }>;
  /** JSON of the query or expression model. */
  model: string;
}

export interface RuleArgs {
  name: string;
  uid?: string;
  for?: string;
  condition?: string;
  no_data_state?: 'NoData' | 'Alerting' | 'OK' | 'KeepLast';
  exec_err_state?: 'Error' | 'Alerting' | 'OK' | 'KeepLast';
  is_paused?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  data: RuleDataArgs[];
  record?: Array<{ metric: string; from: string }>;
}

export interface RuleGroupArgs {
  name: string;
  folder_uid: string;
  interval_seconds: number;
  org_id?: string;
  disable_provenance?: boolean;
  rule: RuleArgs[];
}

export class RuleGroup extends GrafanaResource<RuleGroupArgs> {
  constructor(scope: Construct, id: string, args: RuleGroupArgs) {
    super(scope, id, 'grafana_rule_group', args);
  }
}

export interface SlackIntegrationArgs {
  /** Sensitive webhook URL: a sensitive variable reference. */
  url?: string;
  recipient?: string;
  title?: string;
  text?: string;
  disable_resolve_message?: boolean;
}

export interface EmailIntegrationArgs {
  addresses: string[];
  single_email?: boolean;
  subject?: string;
  message?: string;
  disable_resolve_message?: boolean;
}

export interface ContactPointArgs {
  name: string;
  slack?: SlackIntegrationArgs[];
  email?: EmailIntegrationArgs[];
  disable_provenance?: boolean;
}

export class ContactPoint extends GrafanaResource<ContactPointArgs> {
  constructor(scope: Construct, id: string, args: ContactPointArgs) {
    super(scope, id, 'grafana_contact_point', args);
  }

  get name(): string {
    return this.getStringAttribute('name');
  }
}

export interface PolicyMatcherArgs {
  label: string;
  match: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface PolicyArgs {
  contact_point?: string;
  continue?: boolean;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matcher?: PolicyMatcherArgs[];
  mute_timings?: string[];
  policy?: PolicyArgs[];
}

export interface NotificationPolicyArgs {
  contact_point: string;
  group_by: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  disable_provenance?: boolean;
  policy?: PolicyArgs[];
}

export class NotificationPolicy extends GrafanaResource<NotificationPolicyArgs> {
  constructor(scope: Construct, id: string, args: NotificationPolicyArgs) {
    super(scope, id, 'grafana_notification_policy', args);
  }
}

export interface HttpCheckSettingsArgs {
  method?: 'GET' | 'HEAD' | 'POST';
  valid_status_codes?: number[];
  fail_if_not_ssl?: boolean;
  no_follow_redirects?: boolean;
  ip_version?: 'V4' | 'V6' | 'Any';
  headers?: string[];
  fail_if_body_not_matches_regexp?: string[];
}

export interface SyntheticMonitoringCheckArgs {
  job: string;
  target: string;
  enabled?: boolean;
  /** Probe location ids (from the grafana_synthetic_monitoring_probes data source). */
  probes: Array<number | string>;
  labels?: Record<string, string>;
  /** Milliseconds between runs. */
  frequency?: number;
  /** Milliseconds. */
  timeout?: number;
  alert_sensitivity?: 'none' | 'low' | 'medium' | 'high';
  basic_metrics_only?: boolean;
  settings: Array<{ http: HttpCheckSettingsArgs[] }>;
}

export class SyntheticMonitoringCheck extends GrafanaResource<SyntheticMonitoringCheckArgs> {
  constructor(scope: Construct, id: string, args: SyntheticMonitoringCheckArgs) {
    super(scope, id, 'grafana_synthetic_monitoring_check', args);
  }
}

/** data "grafana_synthetic_monitoring_probes": probe ids by name. */
export class SyntheticMonitoringProbes extends GrafanaDataSource<Record<string, never>> {
  constructor(scope: Construct, id: string) {
    super(scope, id, 'grafana_synthetic_monitoring_probes', {});
  }

  /** The id of a public probe by its name (for example `Ohio`). */
  getProbeId(name: string): string {
    return `\${data.grafana_synthetic_monitoring_probes.${this.friendlyUniqueId}.probes.${name}}`;
  }
}
