/** Turns per-query judgements into the search-check report: rates, thresholds, failing queries, table. */
import { formatTable, type Paint } from '../core/output.js';
import type { QueryJudgement } from './judge.js';

export interface SearchCheckThresholds {
  minPrecision: number;
  maxZeroResultRate: number;
}

export interface QueryReport extends QueryJudgement {
  /** The query could not be judged (HTTP error or a response that is not a search response). */
  error: string | null;
  latencyMs: number | null;
  failing: boolean;
}

export interface SearchCheckReport {
  ok: boolean;
  target: string;
  goldenFile: string;
  thresholds: SearchCheckThresholds;
  summary: {
    queries: number;
    judgedResults: number;
    satisfiedResults: number;
    /** Precision over every judged result; null when nothing was returned at all. */
    constraintSatisfactionRate: number | null;
    zeroResultQueries: number;
    zeroResultRate: number;
    erroredQueries: number;
    failingQueries: string[];
  };
  /** Why the gate failed, one sentence each (empty when ok). */
  failures: string[];
  queries: QueryReport[];
}

/** Marks failing queries and applies the thresholds. */
export function buildReport(
  entries: Array<{ judgement: QueryJudgement; error: string | null; latencyMs: number | null }>,
  thresholds: SearchCheckThresholds,
  meta: { target: string; goldenFile: string },
): SearchCheckReport {
  const queries: QueryReport[] = entries.map(({ judgement, error, latencyMs }) => ({
    ...judgement,
    error,
    latencyMs,
    failing:
      error !== null ||
      judgement.resultCount === 0 ||
      (judgement.precision ?? 0) < thresholds.minPrecision ||
      judgement.parseProblems.length > 0,
  }));
  const answered = queries.filter((q) => q.error === null);
  const judgedResults = answered.reduce((n, q) => n + q.resultCount, 0);
  const satisfiedResults = answered.reduce((n, q) => n + q.satisfied, 0);
  const zeroResultQueries = answered.filter((q) => q.resultCount === 0).length;
  const rate = judgedResults === 0 ? null : satisfiedResults / judgedResults;
  const zeroResultRate = queries.length === 0 ? 0 : zeroResultQueries / queries.length;
  const erroredQueries = queries.length - answered.length;
  const failingQueries = queries.filter((q) => q.failing).map((q) => q.q);

  const failures: string[] = [];
  if (rate === null) failures.push('no query returned any result');
  else if (rate < thresholds.minPrecision) {
    failures.push(
      `constraint-satisfaction rate ${formatPercent(rate)} is below the minimum ${formatPercent(thresholds.minPrecision)}`,
    );
  }
  if (zeroResultRate > thresholds.maxZeroResultRate) {
    failures.push(
      `zero-result rate ${formatPercent(zeroResultRate)} is above the maximum ${formatPercent(thresholds.maxZeroResultRate)}`,
    );
  }
  if (erroredQueries > 0)
    failures.push(`${erroredQueries} ${erroredQueries === 1 ? 'query' : 'queries'} could not be judged`);

  return {
    ok: failures.length === 0,
    ...meta,
    thresholds,
    summary: {
      queries: queries.length,
      judgedResults,
      satisfiedResults,
      constraintSatisfactionRate: rate,
      zeroResultQueries,
      zeroResultRate,
      erroredQueries,
      failingQueries,
    },
    failures,
    queries,
  };
}

/** The human-readable report: one row per query, failing rows marked and coloured, then the verdict. */
export function formatReport(report: SearchCheckReport, paint: Paint): string {
  const rows = report.queries.map((q) => {
    const expected = `${q.expectedService ?? 'any'}${q.maxPrice === null ? '' : ` <= $${q.maxPrice}`}`;
    const precision = q.precision === null ? '-' : formatPercent(q.precision);
    const problem =
      q.error ??
      (q.problems.join('; ') || (q.softFilteringUsed ? 'soft filtering used (price not checked)' : ''));
    const mark = q.failing ? paint.red('FAIL') : paint.green('ok');
    const row = [
      mark,
      q.q,
      expected,
      q.error === null ? `${q.satisfied}/${q.resultCount}` : '-',
      precision,
      problem,
    ];
    return q.failing ? row.map((c, i) => (i === 0 ? c : paint.bold(c))) : row;
  });
  const s = report.summary;
  const lines = [
    formatTable(['', 'query', 'expected', 'right', 'precision', 'what was wrong'], rows),
    '',
    `Constraint satisfaction: ${s.constraintSatisfactionRate === null ? '-' : formatPercent(s.constraintSatisfactionRate)} of ${s.judgedResults} results (minimum ${formatPercent(report.thresholds.minPrecision)})`,
    `Zero-result rate: ${formatPercent(s.zeroResultRate)} (${s.zeroResultQueries}/${s.queries} queries; maximum ${formatPercent(report.thresholds.maxZeroResultRate)})`,
  ];
  if (report.ok) lines.push(paint.green(`PASS: search on "${report.target}" meets the thresholds.`));
  else {
    lines.push(paint.red(`FAIL: ${report.failures.join('; ')}.`));
  }
  if (s.failingQueries.length > 0) {
    lines.push(
      `Failing queries (${s.failingQueries.length}): ${s.failingQueries.map((q) => `"${q}"`).join(', ')}`,
    );
  }
  return lines.join('\n');
}

export function formatPercent(value: number): string {
  const pct = value * 100;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}
