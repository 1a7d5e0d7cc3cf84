/** The `k6/metrics` module of the native engine: Counter, Gauge, Rate and Trend on the run's metric registry. */
import type { Metric, Tags } from '../../metrics/registry.js';
import type { MetricType } from '../../metrics/sinks.js';
import type { EngineContext } from '../context.js';
import type { VuState } from '../vu-state.js';
import { esModule } from './es-module.js';

export function createMetricsModule(engine: EngineContext, vu: VuState) {
  const make = (type: MetricType) =>
    class {
      readonly name: string;
      private readonly metric: Metric;
      constructor(name: string, isTime = false) {
        this.name = name;
        this.metric = engine.registry.define(name, type, isTime ? 'time' : 'default');
      }
      add(value: number | boolean, tags?: Tags): void {
        const numeric = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
        if (!Number.isFinite(numeric)) return;
        engine.registry.add(this.metric, numeric, tags ? { ...vu.tags, ...tags } : vu.tags);
      }
    };
  return esModule({
    Counter: make('counter'),
    Gauge: make('gauge'),
    Rate: make('rate'),
    Trend: make('trend'),
  });
}
