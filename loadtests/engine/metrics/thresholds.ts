/** k6 thresholds: `p(95)<300`, `avg<200`, `rate<0.01`, `count>100`, sub-metric selectors, abortOnFail with delayAbortEval. */
import { usageError } from '../../../src/core/errors.js';
import { parseDuration } from '../scenario/duration.js';
import type { ThresholdsOption } from '../scenario/options.js';
import type { MetricRegistry } from './registry.js';
import { CounterSink, GaugeSink, RateSink, type Sink, TrendSink } from './sinks.js';

export interface Threshold {
  /** The metric key, possibly with a selector: `http_req_duration{scenario:booking}`. */
  metric: string;
  source: string;
  aggregation: string;
  operator: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export interface ThresholdResult {
  metric: string;
  source: string;
  ok: boolean;
  /** The observed value of the aggregation (undefined when the metric has no data). */
  observed: number | undefined;
  abortOnFail: boolean;
}

const expression =
  /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/;

/** Parses one threshold expression. */
export function parseThreshold(
  metric: string,
  spec: string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string },
): Threshold {
  const source = typeof spec === 'string' ? spec : spec.threshold;
  const match = expression.exec(source ?? '');
  if (!match) {
    throw usageError(
      `Invalid threshold \`${source}\` on ${metric}`,
      'write `<aggregation><operator><number>`, e.g. `p(95)<300`, `avg<200`, `rate<0.01`, `count>100`',
    );
  }
  return {
    metric,
    source,
    aggregation: match[1]!,
    operator: match[2] as Threshold['operator'],
    value: Number(match[3]),
    abortOnFail: typeof spec === 'object' && spec.abortOnFail === true,
    delayAbortEvalMs:
      typeof spec === 'object' && spec.delayAbortEval
        ? parseDuration(spec.delayAbortEval, `${metric} delayAbortEval`)
        : 0,
  };
}

export function parseThresholds(option: ThresholdsOption | undefined): Threshold[] {
  const out: Threshold[] = [];
  for (const [metric, specs] of Object.entries(option ?? {})) {
    for (const spec of Array.isArray(specs) ? specs : [specs]) out.push(parseThreshold(metric, spec));
  }
  return out;
}

/** The value a threshold aggregation reads from a sink (k6's names per metric type). */
export function getAggregate(sink: Sink, aggregation: string, durationS: number): number | undefined {
  if (sink instanceof TrendSink) return sink.stat(aggregation);
  if (sink instanceof RateSink) return aggregation === 'rate' ? sink.values().rate : undefined;
  if (sink instanceof CounterSink)
    return aggregation === 'count'
      ? sink.count
      : aggregation === 'rate'
        ? sink.values(durationS).rate
        : undefined;
  if (sink instanceof GaugeSink) return aggregation === 'value' ? sink.value : undefined;
  return undefined;
}

export function compare(observed: number, operator: Threshold['operator'], value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
    case '===':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

/** Checks that every aggregation is valid for its metric's type (k6 refuses `p(95)` on a Rate). */
export function validateThresholds(thresholds: Threshold[], registry: MetricRegistry): void {
  const allowed: Record<string, RegExp> = {
    trend: /^(avg|min|max|med|count|p\(.*\))$/,
    rate: /^rate$/,
    counter: /^(count|rate)$/,
    gauge: /^value$/,
  };
  for (const t of thresholds) {
    const found = registry.getSink(t.metric);
    if (!found) continue;
    if (!allowed[found.metric.type]!.test(t.aggregation)) {
      throw usageError(
        `Threshold \`${t.source}\` on ${t.metric}: \`${t.aggregation}\` does not apply to a ${found.metric.type} metric`,
      );
    }
  }
}

/** Evaluates every threshold against the registry; a metric without data passes (as in k6). */
export function evaluateThresholds(
  thresholds: Threshold[],
  registry: MetricRegistry,
  durationS: number,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const found = registry.getSink(t.metric);
    const observed = found ? getAggregate(found.sink, t.aggregation, durationS) : undefined;
    const hasData = found !== undefined && sinkHasData(found.sink);
    return {
      metric: t.metric,
      source: t.source,
      ok: !hasData || observed === undefined ? true : compare(observed, t.operator, t.value),
      observed: hasData ? observed : undefined,
      abortOnFail: t.abortOnFail,
    };
  });
}

function sinkHasData(sink: Sink): boolean {
  if (sink instanceof TrendSink) return sink.count > 0;
  if (sink instanceof RateSink) return sink.total > 0;
  if (sink instanceof CounterSink) return sink.samples > 0;
  return sink.samples > 0;
}
