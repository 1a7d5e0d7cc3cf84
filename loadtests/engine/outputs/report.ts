/** Terminal rendering: live progress lines and the end-of-run tables. */
import { formatDuration, formatTable, type Paint } from '../../../src/core/output.js';
import type { Progress } from '../native/native.js';
import type { RunSummary } from '../summary/summary.js';

const ms = (v: number | undefined) =>
  v === undefined ? '-' : v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

/** One progress line: elapsed, VUs, RPS, p95, error rate; a bar when the run is duration-bound. */
export function formatProgress(p: Progress, nominalMs = p.nominalMs): string {
  let bar = '';
  if (nominalMs && nominalMs > 0) {
    const ratio = Math.min(1, p.elapsedMs / nominalMs);
    const width = 20;
    const filled = Math.round(ratio * width);
    bar = `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(ratio * 100)}% `;
  }
  const elapsed = `${(p.elapsedMs / 1000).toFixed(0)}s${nominalMs ? `/${(nominalMs / 1000).toFixed(0)}s` : ''}`;
  const dropped = p.droppedIterations ? `  dropped ${p.droppedIterations}` : '';
  return `${bar}${elapsed}  VUs ${p.vus}/${p.vusMax}  ${p.rps} req/s  p95 ${ms(p.p95)}  errors ${pct(p.errorRate)}  iterations ${p.iterations}${dropped}`;
}

/** The iteration errors: the total, then the first distinct messages with how many times each occurred. */
function formatIterationErrors(summary: RunSummary, shown = 3): string[] {
  if (summary.iterationErrors === 0) return [];
  const tally = summary.iterationErrorMessages;
  const lines = [`  iteration errors: ${summary.iterationErrors}`];
  for (const { message, count } of tally.slice(0, shown)) lines.push(`    ${count} x ${message}`);
  if (tally.length > shown)
    lines.push(`    ... ${tally.length - shown} more distinct message(s) in summary.json`);
  return lines;
}

/** The end-of-run text: key metrics, latency (corrected too), checks and one row per threshold. */
export function formatRunReport(summary: RunSummary, paint: Paint): string {
  const m = summary.metrics;
  const durationS = summary.durationMs / 1000;
  const reqs = m.http_reqs?.values.count ?? 0;
  const lines: string[] = [];
  const status =
    summary.status === 'passed'
      ? paint.green('PASSED')
      : summary.status === 'thresholds-failed'
        ? paint.red('THRESHOLDS FAILED')
        : summary.status === 'no-success'
          ? paint.red('FAILED: NOTHING SUCCEEDED')
          : paint.red(summary.status.toUpperCase());
  lines.push(
    `${paint.bold(summary.script.replace(/^.*\//, ''))} on ${summary.engine} engine${summary.target ? ` against ${summary.target}` : ''}: ${status} in ${formatDuration(summary.durationMs)}`,
  );
  if (summary.abort) lines.push(`  aborted (${summary.abort.kind}): ${summary.abort.reason}`);
  if (summary.nothingSucceeded) lines.push(paint.red(`  nothing succeeded: ${summary.nothingSucceeded}`));
  lines.push(...formatIterationErrors(summary));
  lines.push('');
  const rows: Array<Array<string | number>> = [
    ['requests', reqs, durationS > 0 ? `${(reqs / durationS).toFixed(1)} req/s` : ''],
    ['failed requests', pct(m.http_req_failed?.values.rate), ''],
    [
      'iterations',
      m.iterations?.values.count ?? 0,
      m.dropped_iterations ? `dropped ${m.dropped_iterations.values.count}` : '',
    ],
    [
      'checks',
      pct(m.checks?.values.rate),
      m.checks ? `${m.checks.values.passes} passed, ${m.checks.values.fails} failed` : '',
    ],
  ];
  const u = summary.latency.uncorrected;
  if (u) rows.push(['latency', `p50 ${ms(u.p50)}  p95 ${ms(u.p95)}  p99 ${ms(u.p99)}`, `max ${ms(u.max)}`]);
  const c = summary.latency.corrected;
  if (c)
    rows.push([
      'latency, corrected',
      `p50 ${ms(c.p50)}  p95 ${ms(c.p95)}  p99 ${ms(c.p99)}`,
      'from intended start (coordinated omission)',
    ]);
  lines.push(formatTable(['metric', 'value', ''], rows));
  if (summary.scenarios.length) {
    lines.push('');
    lines.push(
      formatTable(
        ['scenario', 'executor', 'iterations', 'dropped', 'req/s', 'p95', 'p99', 'errors'],
        summary.scenarios.map((s) => [
          s.name,
          s.executor,
          s.iterations ?? '-',
          s.droppedIterations ?? '-',
          s.requestsPerSecond === undefined ? '-' : s.requestsPerSecond.toFixed(1),
          ms(s.p95),
          ms(s.p99),
          pct(s.errorRate),
        ]),
      ),
    );
  }
  if (summary.thresholds.length) {
    lines.push('');
    lines.push(
      formatTable(
        ['threshold', 'metric', 'observed', 'verdict'],
        summary.thresholds.map((t) => [
          t.source,
          t.metric,
          t.observed === undefined ? '-' : Number.isInteger(t.observed) ? t.observed : t.observed.toFixed(3),
          t.ok ? paint.green('pass') : paint.red('FAIL'),
        ]),
      ),
    );
  }
  const failedChecks = summary.checks.filter((ch) => ch.fails > 0);
  if (failedChecks.length) {
    lines.push('');
    lines.push(
      formatTable(
        ['failed check', 'passes', 'fails'],
        failedChecks.map((ch) => [ch.path, ch.passes, ch.fails]),
      ),
    );
  }
  return lines.join('\n');
}
