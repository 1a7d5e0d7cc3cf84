/** The load part of a report: one results directory (summary.json, timeseries.json, launch.json, capacity.json). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChartSpec, createChart } from './charts.js';
import { badge, esc, fmtMs, fmtNum, fmtPct, notRecorded, table } from './html-kit.js';

interface Latency {
  count?: number;
  avg?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export interface LoadSummaryFile {
  runId: string;
  engine?: string;
  script?: string;
  target?: string;
  startedAt?: string;
  durationMs?: number;
  status?: string;
  exitCode?: number;
  scenarios?: Array<{
    name: string;
    executor: string;
    requests?: number;
    requestsPerSecond?: number;
    errorRate?: number;
    p95?: number;
  }>;
  metrics?: Record<string, { type: string; values: Record<string, number> }>;
  thresholds?: Array<{ metric: string; source: string; ok: boolean; observed?: number | null }>;
  checks?: Array<{ path?: string; name: string; passes: number; fails: number }>;
  latency?: { uncorrected?: Latency | null; corrected?: Latency | null };
  iterationErrors?: number;
  iterationErrorMessages?: Array<{ message: string; count: number }>;
  nothingSucceeded?: string | null;
}

interface SeriesFile {
  points: Array<{
    t: number;
    rps: number;
    errorRate: number;
    p50: number;
    p95: number;
    p99: number;
    vus: number;
    droppedIterations?: number;
    p50Corrected?: number;
    p95Corrected?: number;
    p99Corrected?: number;
  }>;
}

interface LaunchFile {
  exitCode?: number;
  notRun?: string;
  bottleneck?: {
    headline?: string;
    events?: Array<{ kind: string; t: number; rps?: number; description: string }>;
    samples?: Array<{
      t: number;
      p95?: number;
      poolUsagePercent?: number | null;
      poolWaiting?: number | null;
      dbConnections?: number | null;
      inProgress?: number | null;
    }>;
    sampleErrors?: string[];
  };
  invariants?: Array<{ name: string; ok: boolean; violations: unknown[] }>;
  cleanup?: { method?: string; created?: number; removed?: number; leftover?: unknown[]; errors?: string[] };
  samples?: Array<{ atMs: number; inProgress?: number | null }>;
}

/** capacity.json: the CapacityResult of `load capacity` as it returns it. */
export interface CapacityFile {
  scenario?: string;
  slo?: string;
  capacityRps: number;
  firstFailingRps?: number;
  kneeFound: boolean;
  bottleneck?: string;
  steps: Array<{
    targetRps: number;
    achievedRps: number;
    ok: boolean;
    observed?: Array<{ clause: string; value?: number }>;
  }>;
}

export interface LoadRun {
  dir: string;
  summary: LoadSummaryFile;
  series: SeriesFile | undefined;
  launch: LaunchFile | undefined;
  capacity: CapacityFile | undefined;
}

/** True when the directory holds a load run's summary.json. */
export function isLoadDir(dir: string): boolean {
  return existsSync(join(dir, 'summary.json'));
}

export function readLoadRun(dir: string): LoadRun {
  return {
    dir,
    summary: readJson<LoadSummaryFile>(join(dir, 'summary.json')) as LoadSummaryFile,
    series: readJson<SeriesFile>(join(dir, 'timeseries.json')),
    launch: readJson<LaunchFile>(join(dir, 'launch.json')),
    capacity: readJson<CapacityFile>(join(dir, 'capacity.json')),
  };
}

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Passed: thresholds held, invariants held, no booking left behind. */
export function isLoadRunOk(run: LoadRun): boolean {
  const exit = run.launch?.exitCode ?? run.summary.exitCode ?? 0;
  return exit === 0 && (run.summary.thresholds ?? []).every((t) => t.ok);
}

const BUILTIN_COUNTER = /^(http_|data_|iterations$|vus|checks$|iteration_duration|group_duration)/;

/** Renders one load run: figures, charts (added to `charts`), thresholds, checks, outcomes, bottleneck. */
export function renderLoadRun(run: LoadRun, charts: ChartSpec[], idPrefix: string): string {
  const s = run.summary;
  const parts: string[] = [];
  const u = s.latency?.uncorrected ?? undefined;
  const c = s.latency?.corrected ?? undefined;
  const requests = (s.scenarios ?? []).reduce((sum, sc) => sum + (sc.requests ?? 0), 0);
  parts.push(
    `<div class="figures">${[
      ['status', s.status ?? '-'],
      ['engine', s.engine ?? '-'],
      ['duration', fmtMs(s.durationMs)],
      ['requests', String(requests || (s.metrics?.http_reqs?.values.count ?? '-'))],
      ['p50 / p95 / p99', u ? `${fmtMs(u.p50)} / ${fmtMs(u.p95)} / ${fmtMs(u.p99)}` : 'not recorded'],
      [
        'corrected p95 / p99',
        c ? `${fmtMs(c.p95)} / ${fmtMs(c.p99)}` : 'not an arrival-rate run (no coordinated omission)',
      ],
    ]
      .map(([k, v]) => `<div class="figure"><span>${esc(k)}</span><b>${esc(v)}</b></div>`)
      .join('')}</div>`,
  );
  if (s.nothingSucceeded) parts.push(`<p class="reason">${esc(s.nothingSucceeded)}</p>`);
  if (run.launch?.notRun) parts.push(`<p class="reason">not run: ${esc(run.launch.notRun)}</p>`);
  parts.push(renderSeriesCharts(run, charts, idPrefix));
  parts.push('<h4>Thresholds</h4>');
  parts.push(
    table(
      ['metric', 'threshold', 'observed', 'verdict'],
      (s.thresholds ?? [])
        .slice()
        .sort((a, b) => Number(a.ok) - Number(b.ok))
        .map((t) => [
          esc(t.metric),
          `<code>${esc(t.source)}</code>`,
          esc(fmtNum(t.observed)),
          badge(t.ok ? 'pass' : 'fail'),
        ]),
      'no thresholds defined',
    ),
  );
  parts.push('<h4>Checks</h4>');
  parts.push(
    table(
      ['check', 'passes', 'fails'],
      (s.checks ?? []).map((ch) => [
        esc(ch.path ?? ch.name),
        esc(ch.passes),
        ch.fails ? `<b class="bad">${esc(ch.fails)}</b>` : '0',
      ]),
      'no checks',
    ),
  );
  const outcomes = Object.entries(s.metrics ?? {}).filter(
    ([name, m]) => m.type === 'counter' && !BUILTIN_COUNTER.test(name),
  );
  if (outcomes.length) {
    parts.push('<h4>Outcome counts</h4>');
    parts.push(
      table(
        ['counter', 'count'],
        outcomes.map(([name, m]) => [esc(name), esc(fmtNum(m.values.count))]),
      ),
    );
  }
  if (s.iterationErrorMessages?.length) {
    parts.push('<h4>Iteration errors</h4>');
    parts.push(
      table(
        ['message', 'count'],
        s.iterationErrorMessages.map((e) => [esc(e.message), esc(e.count)]),
      ),
    );
  }
  parts.push(renderLaunchLayer(run, charts));
  if (run.capacity) parts.push(renderCapacity(run.capacity, charts, idPrefix));
  return parts.join('\n');
}

function renderSeriesCharts(run: LoadRun, charts: ChartSpec[], idPrefix: string): string {
  const points = run.series?.points ?? [];
  if (points.length === 0) return notRecorded('time series (timeseries.json)');
  const x = points.map((p) => p.t);
  const ids = ['throughput', 'errors', 'latency'].map((n) => `${idPrefix}-${n}`);
  const [throughputId = '', errorsId = '', latencyId = ''] = ids;
  charts.push(
    createChart({
      id: throughputId,
      title: 'Requests per second and active VUs',
      xLabel: 's',
      xKind: 'time',
      x,
      series: [
        { label: 'req/s', values: points.map((p) => p.rps), unit: 'req/s' },
        { label: 'VUs', values: points.map((p) => p.vus), unit: 'VUs', right: true },
      ],
    }),
    createChart({
      id: errorsId,
      title: 'Error rate',
      xLabel: 's',
      xKind: 'time',
      x,
      series: [{ label: 'errors', values: points.map((p) => p.errorRate * 100), unit: '%' }],
    }),
  );
  const corrected = points.some((p) => p.p95Corrected !== undefined);
  charts.push(
    createChart({
      id: latencyId,
      title: corrected ? 'Latency (uncorrected and coordinated-omission corrected)' : 'Latency',
      xLabel: 's',
      xKind: 'time',
      x,
      series: [
        { label: 'p50', values: points.map((p) => p.p50), unit: 'ms' },
        { label: 'p95', values: points.map((p) => p.p95), unit: 'ms' },
        { label: 'p99', values: points.map((p) => p.p99), unit: 'ms' },
        ...(corrected
          ? [
              { label: 'p95 corrected', values: points.map((p) => p.p95Corrected ?? null), unit: 'ms' },
              { label: 'p99 corrected', values: points.map((p) => p.p99Corrected ?? null), unit: 'ms' },
            ]
          : []),
      ],
      marks: (run.launch?.bottleneck?.events ?? []).map((e) => ({ x: e.t, label: e.kind })),
    }),
  );
  const note =
    !corrected && run.summary.latency?.corrected
      ? '<p class="not-recorded">corrected latency over time: not recorded (the corrected percentiles of the whole run are above)</p>'
      : '';
  return `<div class="charts">${ids.map((id) => `<div class="chart" id="${esc(id)}"></div>`).join('')}</div>${note}`;
}

function renderLaunchLayer(run: LoadRun, charts: ChartSpec[]): string {
  const launch = run.launch;
  if (!launch) return '';
  const parts: string[] = [];
  const b = launch.bottleneck;
  parts.push('<h4>Bottleneck</h4>');
  if (b?.headline) parts.push(`<p>${esc(b.headline)}</p>`);
  const samples = b?.samples ?? [];
  if (samples.length > 0) {
    const id = `${run.summary.runId}-bottleneck`.replace(/[^\w-]/g, '-');
    parts.push(`<div class="charts"><div class="chart" id="${esc(id)}"></div></div>`);
    charts.push(
      createChart({
        id,
        title: 'Resources aligned with latency',
        xLabel: 's',
        xKind: 'time',
        points: true,
        x: samples.map((p) => p.t),
        series: [
          { label: 'DB pool used', values: samples.map((p) => p.poolUsagePercent ?? null), unit: '%' },
          { label: 'DB connections', values: samples.map((p) => p.dbConnections ?? null), unit: 'count' },
          { label: 'in flight', values: samples.map((p) => p.inProgress ?? null), unit: 'count' },
          { label: 'p95', values: samples.map((p) => p.p95 ?? null), unit: 'ms', right: true },
        ],
        marks: (b?.events ?? []).map((e) => ({ x: e.t, label: e.kind })),
      }),
    );
  } else parts.push(notRecorded('resource samples (DB pool, connections)'));
  if (b?.events?.length) {
    parts.push(
      table(
        ['at', 'kind', 'what'],
        b.events.map((e) => [`${esc(fmtNum(e.t, 1))} s`, esc(e.kind), esc(e.description)]),
      ),
    );
  }
  if (b?.sampleErrors?.length)
    parts.push(`<p class="muted">sampling errors: ${esc(b.sampleErrors.join('; '))}</p>`);
  if (launch.invariants) {
    parts.push('<h4>Invariants</h4>');
    parts.push(
      launch.invariants
        .map(
          (i) =>
            `<p>${badge(i.ok ? 'pass' : 'fail')} ${esc(i.name)}</p>${
              i.violations.length
                ? `<pre class="evidence">${esc(JSON.stringify(i.violations, null, 2))}</pre>`
                : ''
            }`,
        )
        .join(''),
    );
  }
  const cleanup = launch.cleanup;
  if (cleanup) {
    parts.push(
      `<p class="muted">clean-up (${esc(cleanup.method ?? '-')}): ${esc(cleanup.created ?? 0)} created, ${esc(cleanup.removed ?? 0)} removed, ${esc(cleanup.leftover?.length ?? 0)} left active${
        cleanup.errors?.length ? `; errors: ${esc(cleanup.errors.join('; '))}` : ''
      }</p>`,
    );
  }
  return parts.join('\n');
}

export function renderCapacity(capacity: CapacityFile, charts: ChartSpec[], idPrefix: string): string {
  const id = `${idPrefix}-capacity`;
  const steps = capacity.steps.slice().sort((a, b) => a.targetRps - b.targetRps);
  if (steps.length === 0) return `<h4>Capacity curve</h4>${notRecorded('capacity steps')}`;
  const p95 = (st: CapacityFile['steps'][number]) =>
    st.observed?.find((o) => o.clause.startsWith('p(95)'))?.value ?? null;
  charts.push(
    createChart({
      id,
      title: `Capacity curve${capacity.slo ? ` (SLO ${capacity.slo})` : ''}`,
      xLabel: 'offered req/s',
      xKind: 'linear',
      points: true,
      x: steps.map((st) => st.targetRps),
      series: [
        { label: 'achieved', values: steps.map((st) => st.achievedRps), unit: 'req/s' },
        { label: 'p95', values: steps.map(p95), unit: 'ms', right: true },
      ],
      marks: capacity.kneeFound ? [{ x: capacity.capacityRps, label: 'knee' }] : [],
    }),
  );
  return `<h4>Capacity curve</h4><p>${
    capacity.kneeFound
      ? `knee at ${esc(fmtNum(capacity.capacityRps))} req/s (first failing ${esc(fmtNum(capacity.firstFailingRps))} req/s)`
      : `no knee found up to ${esc(fmtNum(capacity.capacityRps))} req/s`
  }${capacity.bottleneck ? `; bottleneck: ${esc(capacity.bottleneck)}` : ''}</p><div class="charts"><div class="chart" id="${esc(id)}"></div></div>${table(
    ['offered', 'achieved', 'p95', 'SLO'],
    steps.map((st) => [
      esc(fmtNum(st.targetRps)),
      esc(fmtNum(st.achievedRps)),
      esc(fmtMs(p95(st))),
      badge(st.ok ? 'pass' : 'fail'),
    ]),
  )}`;
}

/** Error rate and p95 of the whole run, for the Markdown summary. */
export function describeLoadFigures(run: LoadRun): string {
  const s = run.summary;
  const u = s.latency?.uncorrected ?? undefined;
  const failing = (s.thresholds ?? []).filter((t) => !t.ok).map((t) => `${t.metric} ${t.source}`);
  const err = s.metrics?.http_req_failed?.values;
  const errorRate = err
    ? (err.rate ??
      (err.passes !== undefined && err.fails !== undefined
        ? err.passes / Math.max(1, err.passes + err.fails)
        : undefined))
    : undefined;
  return [
    `p95 ${fmtMs(u?.p95)}`,
    `p99 ${fmtMs(u?.p99)}`,
    `errors ${fmtPct(errorRate)}`,
    `${(s.thresholds ?? []).length - failing.length}/${(s.thresholds ?? []).length} thresholds`,
    ...(failing.length ? [`failing: ${failing.join(', ')}`] : []),
  ].join(', ');
}
