/** `--slo "p(95)<300,rate<0.01"`: latency clauses on http_req_duration, `rate` on http_req_failed. */
import { PreflightError } from '../../src/core/errors.js';
import type { RunSummary } from '../engine/summary/summary.js';

export interface SloClause {
  source: string;
  metric: 'http_req_duration' | 'http_req_failed';
  aggregation: string;
  operator: '<' | '<=';
  value: number;
}

const clause = /^\s*(p\((?:50|90|95|99)\)|avg|med|max|rate)\s*(<=|<)\s*(\d+(?:\.\d+)?)\s*$/;

export function parseSlo(text: string): SloClause[] {
  const clauses = text.split(',').map((part) => {
    const m = clause.exec(part);
    if (!m)
      throw new PreflightError('E_USAGE', `Cannot read the SLO clause \`${part.trim()}\``, {
        hint: 'write comma-separated clauses such as "p(95)<300,rate<0.01" (p(50|90|95|99), avg, med, max in ms; rate = error ratio)',
      });
    const aggregation = m[1] as string;
    return {
      source: part.trim(),
      metric: aggregation === 'rate' ? ('http_req_failed' as const) : ('http_req_duration' as const),
      aggregation,
      operator: m[2] as '<' | '<=',
      value: Number(m[3]),
    };
  });
  if (clauses.length === 0)
    throw new PreflightError('E_USAGE', 'The SLO is empty', { hint: 'e.g. --slo "p(95)<300,rate<0.01"' });
  return clauses;
}

/** The observed value of a clause: latency from the coordinated-omission corrected histogram when there is one. */
export function observeClause(summary: RunSummary, c: SloClause): number | undefined {
  if (c.metric === 'http_req_failed') return summary.metrics.http_req_failed?.values.rate;
  const corrected = summary.latency.corrected;
  if (corrected) {
    const fromCorrected: Record<string, number> = {
      'p(50)': corrected.p50,
      med: corrected.p50,
      'p(95)': corrected.p95,
      'p(99)': corrected.p99,
      avg: corrected.avg,
      max: corrected.max,
    };
    if (c.aggregation in fromCorrected) return fromCorrected[c.aggregation];
  }
  const values = summary.metrics.http_req_duration?.values ?? {};
  return c.aggregation === 'p(50)' ? values.med : values[c.aggregation];
}

export function meetsClause(observed: number | undefined, c: SloClause): boolean {
  if (observed === undefined) return false;
  return c.operator === '<' ? observed < c.value : observed <= c.value;
}

/** The p95 line and error-rate line of an SLO, for the bottleneck report. */
export function toBottleneckSlo(clauses: SloClause[], fallback: { p95Ms: number; errorRate: number }) {
  return {
    p95Ms: clauses.find((c) => c.aggregation === 'p(95)')?.value ?? fallback.p95Ms,
    errorRate: clauses.find((c) => c.aggregation === 'rate')?.value ?? fallback.errorRate,
  };
}
