/**
 * The metric inventory: every query of every panel, alert and recording rule is checked against
 * what the live sources really export. A metric or label no source exports is an error that names
 * the panel or alert; what cannot be checked here (k6 remote-write, a source not scraped) is listed.
 */

import type { Exposition } from '../src/core/exposition.js';
import type { AlertDefinition } from './alerts.js';
import type { DashboardDefinition } from './dashboards.js';
import { findMetricSpec, type MetricSource, type MetricSpec, scrapeLabels } from './metrics.js';
import { readQueryReferences } from './promql.js';
import type { RecordingRule } from './slo.js';

export interface QueryUse {
  /** Where the query lives, for people: `panel "5xx ratio" of dashboard "API overview"`. */
  where: string;
  expr: string;
}

export interface InventoryProblem {
  where: string;
  metric: string;
  label?: string;
  message: string;
}

export interface InventoryNote {
  where: string;
  metric: string;
  reason: string;
}

export interface InventoryResult {
  ok: boolean;
  checkedQueries: number;
  problems: InventoryProblem[];
  /** References that could not be verified here, with why. */
  unverified: InventoryNote[];
  /** Sources compared against (those that answered). */
  sources: MetricSource[];
}

/** Every query the monitoring definitions use, with where it lives. */
export function collectQueryUses(
  dashboards: DashboardDefinition[],
  alerts: AlertDefinition[],
  recordingRules: RecordingRule[],
): QueryUse[] {
  const uses: QueryUse[] = [];
  for (const { dashboard, title } of dashboards) {
    for (const panel of dashboard.panels ?? []) {
      const targets = ((panel as { targets?: Array<{ expr?: string }> }).targets ?? []).filter((t) => t.expr);
      for (const target of targets)
        uses.push({ where: `panel "${panel.title}" of dashboard "${title}"`, expr: target.expr! });
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type === 'query' && typeof variable.query === 'string') {
        const inner = /^label_values\((.*),\s*\w+\)$/.exec(variable.query)?.[1];
        if (inner) uses.push({ where: `variable "${variable.name}" of dashboard "${title}"`, expr: inner });
      }
    }
  }
  for (const alert of alerts) uses.push({ where: `alert "${alert.name}"`, expr: alert.expr });
  for (const rule of recordingRules) uses.push({ where: `recording rule "${rule.record}"`, expr: rule.expr });
  return uses;
}

const scraperLabelSet = new Set<string>([...scrapeLabels, '__name__']);

/** Checks every query against the expositions of the sources that were scraped; `catalog` says where each metric comes from. */
export function checkInventory(
  uses: QueryUse[],
  exported: Partial<Record<MetricSource, Exposition>>,
  recordingRules: RecordingRule[],
  catalog: MetricSpec[],
): InventoryResult {
  const problems: InventoryProblem[] = [];
  const unverified: InventoryNote[] = [];
  const recorded = new Map(
    recordingRules.map((r) => [r.record, new Set(['environment', ...Object.keys(r.labels)])]),
  );
  const sources = Object.keys(exported) as MetricSource[];
  const findAnywhere = (name: string) => sources.map((s) => exported[s]?.get(name)).find(Boolean);

  for (const use of uses) {
    const refs = readQueryReferences(use.expr);
    /** Labels each referenced metric is known to carry; undefined when unknown. */
    const labelSets: Array<Set<string> | undefined> = [];
    for (const ref of refs.metrics) {
      const recordLabels = recorded.get(ref.metric);
      if (recordLabels) {
        labelSets.push(recordLabels);
        continue;
      }
      const spec = findMetricSpec(catalog, ref.metric);
      if (spec?.source === 'scraper') {
        labelSets.push(new Set());
        continue;
      }
      if (spec?.source === 'k6' && !exported.k6) {
        unverified.push({
          where: use.where,
          metric: ref.metric,
          reason: 'k6 writes them only during load runs (--k6-prometheus <url> checks them)',
        });
        labelSets.push(undefined);
        continue;
      }
      const exposition = spec ? exported[spec.source] : undefined;
      const sample = exposition?.get(ref.metric) ?? findAnywhere(ref.metric);
      if (!sample) {
        if (spec?.pushedOnlyBy && exposition) {
          unverified.push({
            where: use.where,
            metric: ref.metric,
            reason: `not pushed yet (only \`${spec.pushedOnlyBy}\` pushes it, on targets that use it)`,
          });
          labelSets.push(undefined);
          continue;
        }
        if (spec && !exposition) {
          unverified.push({
            where: use.where,
            metric: ref.metric,
            reason: `the ${spec.source} source was not scraped`,
          });
          labelSets.push(undefined);
          continue;
        }
        problems.push({
          where: use.where,
          metric: ref.metric,
          message: `${use.where} uses ${ref.metric}, which ${spec ? `the ${spec.source} source` : 'no scraped source'} does not export`,
        });
        labelSets.push(undefined);
        continue;
      }
      if (!sample.observed) {
        unverified.push({
          where: use.where,
          metric: ref.metric,
          reason: 'declared without samples yet (labels unknown)',
        });
        labelSets.push(undefined);
        continue;
      }
      labelSets.push(sample.labels);
      for (const matcher of ref.matchers) {
        if (scraperLabelSet.has(matcher.label)) continue;
        if (!sample.labels.has(matcher.label)) {
          problems.push({
            where: use.where,
            metric: ref.metric,
            label: matcher.label,
            message: `${use.where} filters ${ref.metric} on label "${matcher.label}", which the target never sets (it sets: ${[...sample.labels].sort().join(', ') || 'no labels'})`,
          });
        } else if (
          // bucket boundaries are static; other values (status codes) may simply not have happened yet
          matcher.label === 'le' &&
          matcher.op === '=' &&
          !sample.values.get(matcher.label)?.has(matcher.value)
        ) {
          const seen = [...(sample.values.get(matcher.label) ?? [])].sort().join(', ');
          problems.push({
            where: use.where,
            metric: ref.metric,
            label: matcher.label,
            message: `${use.where} selects ${ref.metric}{${matcher.label}="${matcher.value}"}, a value the target never exports (seen: ${seen})`,
          });
        }
      }
    }
    const known = labelSets.filter((s): s is Set<string> => s !== undefined);
    if (known.length === 0 || known.length < labelSets.length) continue;
    for (const label of refs.groupingLabels) {
      if (scraperLabelSet.has(label)) continue;
      if (!known.some((set) => set.has(label))) {
        problems.push({
          where: use.where,
          metric: refs.metrics.map((m) => m.metric).join(', '),
          label,
          message: `${use.where} groups by "${label}", a label none of its metrics carries`,
        });
      }
    }
  }
  return { ok: problems.length === 0, checkedQueries: uses.length, problems, unverified, sources };
}
