/** Per-scenario figures for the end-of-run table (sub-metrics by `scenario` tag). */
import type { MetricRegistry } from '../metrics/registry.js';
import { CounterSink, RateSink, TrendSink } from '../metrics/sinks.js';
import type { ScenarioPlan } from '../scenario/options.js';

export interface ScenarioStats {
  name: string;
  executor: string;
  iterations: number;
  droppedIterations: number;
  requests: number;
  requestsPerSecond: number;
  errorRate: number;
  p95: number;
  p99: number;
}

const statMetrics = ['iterations', 'dropped_iterations', 'http_reqs', 'http_req_failed', 'http_req_duration'];

/** Selectors to register so each scenario's figures are kept. */
export function getScenarioStatKeys(plans: ScenarioPlan[]): string[] {
  return plans.flatMap((p) => statMetrics.map((m) => `${m}{scenario:${p.name}}`));
}

export function getScenarioStats(
  registry: MetricRegistry,
  plans: ScenarioPlan[],
  durationMs: number,
): ScenarioStats[] {
  const sink = (metric: string, scenario: string) =>
    registry.getSink(`${metric}{scenario:${scenario}}`)?.sink;
  return plans.map((plan) => {
    const iterations = sink('iterations', plan.name);
    const dropped = sink('dropped_iterations', plan.name);
    const reqs = sink('http_reqs', plan.name);
    const failed = sink('http_req_failed', plan.name);
    const duration = sink('http_req_duration', plan.name);
    const requests = reqs instanceof CounterSink ? reqs.count : 0;
    return {
      name: plan.name,
      executor: plan.executor,
      iterations: iterations instanceof CounterSink ? iterations.count : 0,
      droppedIterations: dropped instanceof CounterSink ? dropped.count : 0,
      requests,
      requestsPerSecond: durationMs > 0 ? requests / (durationMs / 1000) : 0,
      errorRate: failed instanceof RateSink && failed.total ? failed.passes / failed.total : 0,
      p95: duration instanceof TrendSink ? duration.percentile(95) : 0,
      p99: duration instanceof TrendSink ? duration.percentile(99) : 0,
    };
  });
}
