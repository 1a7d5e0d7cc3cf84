/** Chart specs: data for uPlot, drawn by the page script; every series is downsampled before it is written. */
import { downsampleMinMax, type Value } from './downsample.js';

export interface ChartSeries {
  label: string;
  values: Value[];
  /** Unit shown on the axis and in the legend: ms, req/s, %, count. */
  unit: string;
  /** The right-hand axis (a second unit). */
  right?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  /** `time`: x is seconds since the start; `linear`: any number (the offered rate). */
  xKind: 'time' | 'linear';
  x: number[];
  series: ChartSeries[];
  /** Vertical marks (the capacity knee, bottleneck events). */
  marks?: Array<{ x: number; label: string }>;
  /** Draw points only (sparse samples, capacity steps). */
  points?: boolean;
}

/** Builds a chart, downsampling its series together (min/max buckets). */
export function createChart(spec: ChartSpec, buckets = 600): ChartSpec {
  const down = downsampleMinMax(
    spec.x,
    spec.series.map((s) => s.values),
    buckets,
  );
  return {
    ...spec,
    x: down.x.map(round),
    series: spec.series.map((s, i) => ({ ...s, values: (down.series[i] ?? []).map(roundOrNull) })),
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function roundOrNull(n: Value): Value {
  return n === null ? null : round(n);
}
