/**
 * Normalizes k6 end-of-test data into preflight's engine-independent summary. Recognized shapes:
 * - `legacy`: k6 0.4x handleSummary data (and 1.x/2.x with --summary-mode=legacy): metrics[name].values,
 *   metrics[name].thresholds[expr].ok, root_group with check arrays;
 * - `report`: k6 1.x/2.x handleSummary data: metrics grouped by section (http, execution, network, custom...),
 *   thresholds either in a top-level map `{metric, thresholds: [{source, ok}]}` or as arrays on each metric,
 *   checks in `checks.ordered_checks`, groups and scenarios as maps;
 * - `summary-export`: the `--summary-export` file, whose threshold booleans are inverted (true = failed).
 */
import { PreflightError } from '../../../src/core/errors.js';

export type SummaryShape = 'legacy' | 'report' | 'summary-export';

export interface NormalizedMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'time' | 'data' | 'default';
  values: Record<string, number>;
}

export interface NormalizedThreshold {
  metric: string;
  source: string;
  ok: boolean;
  observed?: number;
  abortOnFail?: boolean;
}

export interface NormalizedCheck {
  path: string;
  name: string;
  passes: number;
  fails: number;
}

export interface NormalizedData {
  shape: SummaryShape;
  durationMs: number | undefined;
  metrics: Record<string, NormalizedMetric>;
  thresholds: NormalizedThreshold[];
  checks: NormalizedCheck[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const metricSections = [
  'http',
  'execution',
  'network',
  'browser',
  'webvitals',
  'grpc',
  'websocket',
  'custom',
  'miscelaneous',
  'miscellaneous',
];

export function detectShape(data: Json): SummaryShape {
  const metrics = data.metrics;
  if (!isObject(metrics)) throw new PreflightError('E_TOOL_FAILED', 'k6 end-of-test data has no metrics');
  const first = Object.values(metrics)[0];
  if (isObject(first) && 'values' in first && 'type' in first) return 'legacy';
  if (
    Object.keys(metrics).some((k) => metricSections.includes(k)) &&
    Object.values(metrics).every((v) => isObject(v) && !('type' in v))
  ) {
    return 'report';
  }
  if (isObject(first) && !('values' in first)) return 'summary-export';
  throw new PreflightError('E_TOOL_FAILED', 'Unrecognized k6 end-of-test data shape');
}

function collectLegacyChecks(group: unknown, out: NormalizedCheck[]): void {
  if (!isObject(group)) return;
  const checks = group.checks;
  const list = Array.isArray(checks) ? checks : isObject(checks) ? Object.values(checks) : [];
  for (const c of list as Json[]) {
    out.push({
      path: String(c.path ?? ''),
      name: String(c.name ?? ''),
      passes: Number(c.passes ?? 0),
      fails: Number(c.fails ?? 0),
    });
  }
  const groups = group.groups;
  for (const g of Array.isArray(groups) ? groups : isObject(groups) ? Object.values(groups) : [])
    collectLegacyChecks(g, out);
}

function normalizeLegacy(data: Json): NormalizedData {
  const metrics: Record<string, NormalizedMetric> = {};
  const thresholds: NormalizedThreshold[] = [];
  for (const [name, raw] of Object.entries(data.metrics as Json)) {
    if (!isObject(raw)) continue;
    metrics[name] = {
      type: raw.type as NormalizedMetric['type'],
      contains: (raw.contains as NormalizedMetric['contains']) ?? 'default',
      values: (raw.values as Record<string, number>) ?? {},
    };
    for (const [source, t] of Object.entries((raw.thresholds as Json) ?? {})) {
      thresholds.push({ metric: name, source, ok: Boolean((t as Json).ok) });
    }
  }
  const checks: NormalizedCheck[] = [];
  collectLegacyChecks(data.root_group, checks);
  const state = data.state as Json | undefined;
  return {
    shape: 'legacy',
    durationMs: state ? Number(state.testRunDurationMs) : undefined,
    metrics,
    thresholds,
    checks,
  };
}

function normalizeReport(data: Json): NormalizedData {
  const metrics: Record<string, NormalizedMetric> = {};
  const thresholds: NormalizedThreshold[] = [];
  const seen = new Set<string>();
  const addThreshold = (metric: string, t: Json) => {
    const key = `${metric}\u0000${String(t.source)}`;
    if (seen.has(key)) return;
    seen.add(key);
    thresholds.push({ metric, source: String(t.source), ok: Boolean(t.ok) });
  };
  const addMetric = (name: string, raw: Json) => {
    metrics[name] = {
      type: raw.type as NormalizedMetric['type'],
      contains: (raw.contains as NormalizedMetric['contains']) ?? 'default',
      values: (raw.values as Record<string, number>) ?? {},
    };
    if (Array.isArray(raw.thresholds)) for (const t of raw.thresholds) addThreshold(name, t as Json);
  };
  for (const section of Object.values(data.metrics as Json)) {
    if (!isObject(section)) continue;
    for (const [name, raw] of Object.entries(section))
      if (isObject(raw)) addMetric(String(raw.name ?? name), raw);
  }
  for (const [name, entry] of Object.entries((data.thresholds as Json) ?? {})) {
    if (!isObject(entry)) continue;
    const metric = isObject(entry.metric) ? entry.metric : undefined;
    const metricName = String(metric?.name ?? name);
    if (metric && !metrics[metricName]) addMetric(metricName, metric);
    for (const t of (entry.thresholds as Json[]) ?? []) addThreshold(metricName, t);
  }
  const checksRoot = data.checks as Json | undefined;
  for (const [name, raw] of Object.entries((checksRoot?.metrics as Json) ?? {})) {
    if (isObject(raw) && 'type' in raw && !metrics[String(raw.name ?? name)])
      addMetric(String(raw.name ?? name), raw);
  }
  const checks: NormalizedCheck[] = [];
  for (const c of (checksRoot?.ordered_checks as Json[]) ?? []) {
    checks.push({
      path: String(c.path ?? ''),
      name: String(c.name ?? ''),
      passes: Number(c.passes ?? 0),
      fails: Number(c.fails ?? 0),
    });
  }
  const visitGroups = (groups: unknown) => {
    for (const g of isObject(groups) ? Object.values(groups) : []) {
      if (!isObject(g)) continue;
      for (const c of ((g.checks as Json | undefined)?.ordered_checks as Json[]) ?? []) {
        if (!checks.some((x) => x.path === c.path)) {
          checks.push({
            path: String(c.path ?? ''),
            name: String(c.name ?? ''),
            passes: Number(c.passes ?? 0),
            fails: Number(c.fails ?? 0),
          });
        }
      }
      visitGroups(g.groups);
    }
  };
  visitGroups(data.groups);
  const state = data.state as Json | undefined;
  return {
    shape: 'report',
    durationMs: state ? Number(state.testRunDurationMs) : undefined,
    metrics,
    thresholds,
    checks,
  };
}

function normalizeSummaryExport(data: Json): NormalizedData {
  const metrics: Record<string, NormalizedMetric> = {};
  const thresholds: NormalizedThreshold[] = [];
  for (const [name, raw] of Object.entries(data.metrics as Json)) {
    if (!isObject(raw)) continue;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw))
      if (typeof v === 'number') values[k === 'value' && 'passes' in raw ? 'rate' : k] = v;
    const type: NormalizedMetric['type'] =
      'passes' in raw ? 'rate' : 'avg' in raw ? 'trend' : 'count' in raw ? 'counter' : 'gauge';
    metrics[name] = { type, contains: 'default', values };
    // --summary-export reports `true` for a threshold that FAILED.
    for (const [source, failed] of Object.entries((raw.thresholds as Json) ?? {}))
      thresholds.push({ metric: name, source, ok: !failed });
  }
  const checks: NormalizedCheck[] = [];
  collectLegacyChecks(data.root_group, checks);
  return { shape: 'summary-export', durationMs: undefined, metrics, thresholds, checks };
}

/** Normalizes k6 end-of-test data of any known shape. */
export function normalizeK6Data(data: unknown): NormalizedData {
  if (!isObject(data)) throw new PreflightError('E_TOOL_FAILED', 'k6 end-of-test data is not an object');
  const shape = detectShape(data);
  if (shape === 'legacy') return normalizeLegacy(data);
  if (shape === 'report') return normalizeReport(data);
  return normalizeSummaryExport(data);
}
