/** The launch part of a report: launch.json and the step reports beside it, one section per step, failing first. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from './charts.js';
import { badge, esc, fmtMs, fmtNum, fmtPct, notRecorded, type Status, svgBars, table } from './html-kit.js';
import {
  isLoadDir,
  type LoadRun,
  type LoadSummaryFile,
  readJson,
  readLoadRun,
  renderLoadRun,
} from './load-section.js';

export interface LaunchStepReport {
  step: string;
  status: Status;
  summary: string;
  durationMs: number;
  error?: { code: string; message: string; hint?: string };
  allowed?: boolean;
  details?: unknown;
}

export interface LaunchFile {
  ok: boolean;
  verdict: string;
  target: string;
  workDir?: string;
  failed?: string[];
  notRun?: string[];
  steps: LaunchStepReport[];
}

const ORDER: Record<string, number> = { fail: 0, 'not-run': 1, skip: 2, pass: 3 };

/** Failing steps first, then not run, skipped, passed; launch order within each. */
export function orderSteps(steps: LaunchStepReport[]): LaunchStepReport[] {
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (ORDER[a.s.status] ?? 9) - (ORDER[b.s.status] ?? 9) || a.i - b.i)
    .map(({ s }) => s);
}

/** The load results directories a launch wrote (launch/<time>/load/<run-id>). */
export function findLaunchLoadDirs(launchDir: string, runIds: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const id of runIds) {
    const dir = join(launchDir, 'load', id);
    if (isLoadDir(dir)) found.set(id, dir);
  }
  return found;
}

export function renderStep(step: LaunchStepReport, launchDir: string, charts: ChartSpec[]): string {
  const reason =
    step.status === 'pass'
      ? ''
      : `<p class="reason">${esc(step.summary)}${step.error?.hint ? `<br><span class="muted">hint: ${esc(step.error.hint)}</span>` : ''}</p>`;
  let body = '';
  if (step.status !== 'skip') {
    const render = renderers[step.step];
    body = render && step.details !== undefined ? render(step.details, launchDir, charts) : '';
  }
  return `<section class="step ${esc(step.status)}" id="step-${esc(step.step)}" data-status="${esc(step.status)}"><h2>${badge(step.status)} ${esc(step.step)} <small>${esc(
    step.status === 'skip' ? '' : fmtMs(step.durationMs),
  )}</small></h2>${reason}${step.status === 'pass' ? `<p>${esc(step.summary)}</p>` : ''}${body}</section>`;
}

type Renderer = (details: unknown, launchDir: string, charts: ChartSpec[]) => string;

const renderers: Record<string, Renderer> = {
  load: renderLoadStep,
  scan: renderScanStep,
  'search-check': renderSearchStep,
  backup: renderBackupStep,
  monitoring: renderMonitoringStep,
};

interface LoadStepDetail {
  scenario: string;
  notRun?: string;
  summary: LoadSummaryFile;
  invariants?: NonNullable<LoadRun['launch']>['invariants'];
  bottleneck?: unknown;
  cleanup?: unknown;
}

function renderLoadStep(details: unknown, launchDir: string, charts: ChartSpec[]): string {
  const runs = (details as LoadStepDetail[]) ?? [];
  return runs
    .map((d, i) => {
      const dir = join(launchDir, 'load', d.summary?.runId ?? '');
      const run: LoadRun = isLoadDir(dir)
        ? readLoadRun(dir)
        : {
            dir,
            summary: d.summary,
            series: undefined,
            launch: {
              notRun: d.notRun,
              invariants: d.invariants,
              bottleneck: d.bottleneck as never,
              cleanup: d.cleanup as never,
            },
            capacity: undefined,
          };
      if (run.launch && d.notRun) run.launch.notRun = d.notRun;
      return `<h3>${esc(d.scenario)}</h3>${renderLoadRun(run, charts, `load-${i}`)}`;
    })
    .join('\n');
}

interface ScanFinding {
  ruleId: string;
  title: string;
  severity: string;
  owaspApi?: string;
  category?: string;
  location?: { method: string; path: string };
  detail?: string;
  evidence?: unknown;
  remediation?: string;
}

interface ScanReport {
  counts?: Record<string, number>;
  findings?: ScanFinding[];
  notRun?: Array<{ probe: string; check: string; reason: string }>;
  probes?: Array<{ name: string; status: string; findings: number; notes?: string[] }>;
  requests?: number;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

function renderScanStep(details: unknown, launchDir: string): string {
  const reports = (details as { reports?: { json?: string } }).reports;
  const path = [join(launchDir, 'security', 'preflight-scan.json'), reports?.json].find(
    (p) => p && existsSync(p),
  );
  const scan = path ? readJson<ScanReport>(path) : undefined;
  if (!scan) return notRecorded('scan report (security/preflight-scan.json)');
  const findings = (scan.findings ?? [])
    .slice()
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  const byCategory = new Map<string, number>();
  for (const f of findings)
    byCategory.set(
      f.owaspApi ?? f.category ?? '-',
      (byCategory.get(f.owaspApi ?? f.category ?? '-') ?? 0) + 1,
    );
  return [
    '<h4>Findings by severity</h4>',
    table(SEVERITIES, [
      SEVERITIES.map((s) => esc(scan.counts?.[s] ?? findings.filter((f) => f.severity === s).length)),
    ]),
    '<h4>Findings by OWASP API category</h4>',
    table(
      ['category', 'findings'],
      [...byCategory].map(([k, v]) => [esc(k), esc(v)]),
      'no findings',
    ),
    findings.length ? '<h4>Findings</h4>' : '',
    findings
      .map(
        (f) =>
          `<details class="finding ${esc(f.severity)}" open><summary><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> ${esc(f.title)} <code>${esc(
            f.location ? `${f.location.method} ${f.location.path}` : '',
          )}</code></summary><p>${esc(f.detail)}</p><p><b>Fix:</b> ${esc(f.remediation)}</p><pre class="evidence">${esc(
            JSON.stringify(f.evidence, null, 2),
          )}</pre></details>`,
      )
      .join(''),
    '<h4>Probes not run</h4>',
    table(
      ['probe', 'check', 'reason'],
      (scan.notRun ?? []).map((n) => [esc(n.probe), esc(n.check), esc(n.reason)]),
      'every check ran',
    ),
  ].join('\n');
}

interface SearchQuery {
  q: string;
  precision: number | null;
  resultCount: number;
  failing?: boolean;
  problems?: string[];
  error?: string | null;
  results?: Array<{ service?: string; category?: string; minHourlyRate?: number; ok?: boolean }>;
}

function renderSearchStep(details: unknown): string {
  const report = details as {
    summary?: { constraintSatisfactionRate?: number | null; zeroResultRate?: number };
    queries?: SearchQuery[];
  };
  const queries = report.queries ?? [];
  const rows = (list: SearchQuery[]) =>
    table(
      ['query', 'results', 'precision', 'offending results'],
      list.map((q) => [
        `${q.failing ? badge('fail') : ''} ${esc(q.q)}`,
        esc(q.resultCount),
        esc(fmtPct(q.precision)),
        esc(
          [
            ...(q.error ? [q.error] : []),
            ...(q.problems ?? []),
            ...(q.problems?.length ? [] : (q.results ?? []).filter((r) => r.ok === false))
              .slice(0, 5)
              .map((r) => `${r.service} (${r.category}, ${r.minHourlyRate})`),
          ].join('; '),
        ),
      ]),
      'no queries',
    );
  const failing = queries.filter((q) => q.failing);
  const passing = queries.filter((q) => !q.failing);
  return `<p>precision ${esc(fmtPct(report.summary?.constraintSatisfactionRate))}, zero-result ${esc(fmtPct(report.summary?.zeroResultRate))}</p>${
    failing.length ? `<h4>Failing queries (${failing.length})</h4>${rows(failing)}` : ''
  }${passing.length ? `<details><summary>Passing queries (${passing.length})</summary>${rows(passing)}</details>` : ''}`;
}

interface Verification {
  ok: boolean;
  rto?: Record<string, number>;
  tables?: { total: number; mismatched: Array<{ schema: string; table: string }> };
  checks?: Array<{ name: string; ok: boolean; rows?: number }>;
  inventory?: {
    compared?: Array<{ kind: string; total: number; matched: number; differences: unknown[] }>;
    notCompared?: Array<{ kind: string; why: string }>;
  };
}

interface CatalogEntry {
  id: string;
  createdAt?: string;
  sizeBytes?: number;
  durationMs?: number;
}

function renderBackupStep(details: unknown): string {
  const d = details as { id?: string; verification?: Verification; catalog?: CatalogEntry[] };
  const v = d.verification;
  const parts: string[] = [];
  const rto = Object.entries(v?.rto ?? {}).filter(([k]) => k !== 'totalMs');
  parts.push(
    `<h4>Restore time by phase${v?.rto?.totalMs !== undefined ? ` (total ${esc(fmtMs(v.rto.totalMs))})` : ''}</h4>`,
  );
  parts.push(
    rto.length
      ? svgBars(
          rto.map(([k, ms]) => ({ label: k.replace(/Ms$/, ''), value: ms, text: fmtMs(ms) })),
          'rto-bars',
        )
      : notRecorded('restore time by phase'),
  );
  parts.push('<h4>Verification</h4>');
  const rows = [
    ...(v?.tables
      ? [
          [
            'tables',
            String(v.tables.total),
            String(v.tables.total - v.tables.mismatched.length),
            v.tables.mismatched.map((t) => `${t.schema}.${t.table}`).join(', '),
          ],
        ]
      : []),
    ...(v?.inventory?.compared ?? []).map((c) => [
      c.kind,
      String(c.total),
      String(c.matched),
      c.differences.length ? JSON.stringify(c.differences).slice(0, 300) : '',
    ]),
  ];
  parts.push(
    table(
      ['kind', 'total', 'matched', 'differences'],
      rows.map((r) => r.map((c) => esc(c))),
      'not recorded',
    ),
  );
  if (v?.inventory?.notCompared?.length) {
    parts.push(
      `<p class="muted">not compared: ${esc(v.inventory.notCompared.map((n) => `${n.kind} (${n.why})`).join('; '))}</p>`,
    );
  }
  if (v?.checks?.length) {
    parts.push(
      table(
        ['check', 'rows', 'verdict'],
        v.checks.map((c) => [esc(c.name), esc(c.rows ?? '-'), badge(c.ok ? 'pass' : 'fail')]),
      ),
    );
  }
  parts.push('<h4>Backups in the storage catalog</h4>');
  const catalog = d.catalog ?? [];
  parts.push(
    catalog.length
      ? svgBars(
          catalog.map((e) => ({
            label: e.id.slice(0, 16),
            value: e.sizeBytes ?? 0,
            text: `${fmtNum((e.sizeBytes ?? 0) / 1048576)} MiB${e.durationMs !== undefined ? `, ${fmtMs(e.durationMs)}` : ''}`,
          })),
          'catalog-bars',
        )
      : notRecorded('size and duration history'),
  );
  return parts.join('\n');
}

interface MonitorStep {
  name: string;
  ok: boolean;
  summary: string;
  problems: string[];
  notes?: string[];
}

function renderMonitoringStep(details: unknown): string {
  const steps = (details as { steps?: MonitorStep[] }).steps ?? [];
  return table(
    ['check', 'verdict', 'summary', 'problems (metrics missing from the target, failed alert tests)'],
    steps.map((s) => [
      esc(s.name),
      badge(s.ok ? 'pass' : 'fail'),
      esc(s.summary),
      esc([...s.problems, ...(s.notes ?? [])].join('; ')),
    ]),
    'not recorded',
  );
}
