/** Structural checks: dashboards load as valid dashboard JSON; each cdk.tf.json has the resources with their required arguments. */
import { readFileSync } from 'node:fs';
import type { DashboardDefinition } from './dashboards.js';

export interface StructureProblem {
  where: string;
  message: string;
}

/** uid, title, and every non-row panel with a datasource, a gridPos and targets with refId and expr. */
export function checkDashboardJson(definition: DashboardDefinition): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const where = `dashboard "${definition.title}"`;
  const json = JSON.parse(JSON.stringify(definition.dashboard)) as Record<string, unknown>;
  if (typeof json.uid !== 'string' || !/^[a-zA-Z0-9_-]{1,40}$/.test(json.uid))
    problems.push({
      where,
      message: `uid ${String(json.uid)} is missing or invalid (1-40 of a-z A-Z 0-9 _ -)`,
    });
  if (typeof json.title !== 'string' || !json.title) problems.push({ where, message: 'title is missing' });
  const panels = (json.panels ?? []) as Array<Record<string, unknown>>;
  if (!panels.some((p) => p.type !== 'row')) problems.push({ where, message: 'has no panels' });
  const ids = new Set<number>();
  for (const panel of panels) {
    const at = `panel "${String(panel.title)}" of ${where}`;
    if (typeof panel.id !== 'number' || ids.has(panel.id))
      problems.push({ where: at, message: 'panel id is missing or not unique' });
    ids.add(panel.id as number);
    if (panel.type === 'row') continue;
    const datasource = panel.datasource as { type?: string; uid?: string } | undefined;
    if (!datasource?.type || !datasource.uid)
      problems.push({ where: at, message: 'has no datasource {type, uid}' });
    const grid = panel.gridPos as Record<string, number> | undefined;
    if (!grid || [grid.x, grid.y, grid.w, grid.h].some((n) => typeof n !== 'number'))
      problems.push({ where: at, message: 'has no gridPos' });
    const targets = (panel.targets ?? []) as Array<Record<string, unknown>>;
    if (targets.length === 0) problems.push({ where: at, message: 'has no targets' });
    const refIds = new Set<string>();
    for (const target of targets) {
      if (typeof target.expr !== 'string' || !target.expr)
        problems.push({ where: at, message: 'a target has no expr' });
      if (typeof target.refId !== 'string' || refIds.has(target.refId))
        problems.push({ where: at, message: 'a target has no unique refId' });
      refIds.add(target.refId as string);
    }
  }
  return problems;
}

/** Required arguments per resource type (grafana/grafana provider ~> 4.0 docs). */
export const requiredArguments: Record<string, string[]> = {
  grafana_folder: ['title'],
  grafana_data_source: ['type', 'name'],
  grafana_dashboard: ['config_json'],
  grafana_rule_group: ['name', 'folder_uid', 'interval_seconds', 'rule'],
  grafana_contact_point: ['name'],
  grafana_notification_policy: ['contact_point', 'group_by'],
  grafana_synthetic_monitoring_check: ['job', 'target', 'probes', 'settings'],
};

export interface StackExpectations {
  dashboards: number;
}

/** Checks one synthesized stack. */
export function checkSynthesizedStack(file: string, expected: StackExpectations): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    provider?: Record<string, unknown>;
    terraform?: { required_providers?: Record<string, { source?: string; version?: string }> };
    variable?: Record<string, { sensitive?: boolean; default?: unknown }>;
  };
  const required = json.terraform?.required_providers?.grafana;
  if (required?.source !== 'grafana/grafana' || required.version !== '~> 4.0') {
    problems.push({ where: file, message: 'required_providers.grafana must be grafana/grafana ~> 4.0' });
  }
  if (!json.provider?.grafana) problems.push({ where: file, message: 'no grafana provider block' });
  for (const [type, args] of Object.entries(requiredArguments)) {
    const resources = Object.entries(json.resource?.[type] ?? {});
    if (resources.length === 0) problems.push({ where: file, message: `no ${type} resource` });
    for (const [name, body] of resources) {
      for (const arg of args) {
        const value = body[arg];
        if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
          problems.push({ where: `${type}.${name}`, message: `required argument ${arg} is missing` });
        }
      }
    }
  }
  const dashboards = Object.keys(json.resource?.grafana_dashboard ?? {}).length;
  if (dashboards !== expected.dashboards)
    problems.push({
      where: file,
      message: `${dashboards} grafana_dashboard resources, expected ${expected.dashboards}`,
    });
  for (const [name, variable] of Object.entries(json.variable ?? {})) {
    if (variable.sensitive && variable.default !== undefined)
      problems.push({ where: `variable.${name}`, message: 'a sensitive variable has a default value' });
  }
  for (const policy of Object.values(json.resource?.grafana_notification_policy ?? {})) {
    const groupBy = policy.group_by as string[] | undefined;
    if (!groupBy?.includes('alertname') || !groupBy.includes('environment'))
      problems.push({
        where: file,
        message: 'the notification policy must group by alertname and environment',
      });
  }
  return problems;
}

/** Secret values (from the environment) that appear in a synthesized file. */
export function findLeakedSecrets(file: string, secrets: string[]): string[] {
  const text = readFileSync(file, 'utf8');
  return secrets.filter((s) => s.length >= 4 && text.includes(s));
}
