/** Min/max bucket downsampling: a 24 h series keeps its peaks and dips in a few hundred points per line. */

export type Value = number | null;

export interface Downsampled {
  x: number[];
  series: Value[][];
}

/**
 * Downsamples series that share one x axis into at most `buckets` buckets of two points each: the first point carries
 * every series' minimum in the bucket, the second its maximum, so spikes survive. Short input is returned as is.
 */
export function downsampleMinMax(x: number[], series: Value[][], buckets = 600): Downsampled {
  if (x.length <= buckets * 2) return { x: [...x], series: series.map((s) => [...s]) };
  const size = x.length / buckets;
  const outX: number[] = [];
  const out: Value[][] = series.map(() => []);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(x.length, Math.floor((b + 1) * size));
    if (to <= from) continue;
    const firstX = x[from] ?? 0;
    const lastX = x[to - 1] ?? firstX;
    outX.push(firstX, (firstX + lastX) / 2);
    series.forEach((values, i) => {
      const [min, max] = rangeOf(values, from, to);
      out[i]?.push(min, max);
    });
  }
  return { x: outX, series: out };
}

function rangeOf(values: Value[], from: number, to: number): [Value, Value] {
  let min: Value = null;
  let max: Value = null;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === null || v === undefined || Number.isNaN(v)) continue;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
  }
  return [min, max];
}
