// The buffered histogram behind every Trend and the per-second series: values recorded in batches must read back
// exactly as if recorded one by one, whether the batch is full or not.
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { BufferedHistogram, createHistogram, TrendSink } from './sinks.js';
import { TimeSeriesRecorder } from './timeseries.js';

// small and large values, zeros, and one past 2^31 (recorded by HDR directly)
const values = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const v = (i * 7919) % 5003;
    return i % 10 === 0 ? 0 : i % 7 === 0 ? v * 9973 : i === 3 ? 2 ** 31 + 5 : v;
  });

describe('BufferedHistogram', () => {
  it.each([1, 5, 256, 257, 5000])('reads %i values back as a direct HDR histogram does', (n) => {
    const buffered = new BufferedHistogram();
    const direct = createHistogram();
    for (const v of values(n)) {
      buffered.record(v);
      direct.recordValue(v);
    }
    expect(buffered.totalCount).toBe(n);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100])
      expect(buffered.histogram.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
    expect(hdr.encodeIntoCompressedBase64(buffered.histogram)).toBe(hdr.encodeIntoCompressedBase64(direct));
    buffered.record(3);
    buffered.reset();
    expect(buffered.totalCount).toBe(0);
    expect(buffered.histogram.totalCount).toBe(0);
  });

  it('a Trend with fewer values than a batch gives their percentiles, in its JSON too', () => {
    const trend = new TrendSink();
    for (const v of [10, 20, 30, 40, 50]) trend.add(v);
    expect(trend.percentile(50)).toBeCloseTo(30, 1);
    const copy = new TrendSink();
    copy.merge(trend.toJSON());
    expect(copy.percentile(90)).toBeCloseTo(50, 1);
  });

  it('a closed second of the series carries every request recorded in it', () => {
    let clock = 0;
    const series = new TimeSeriesRecorder(0, () => clock);
    for (let i = 1; i <= 10; i++) series.recordRequest(i, false);
    clock = 1500;
    const [bucket] = series.drain();
    expect(bucket?.reqs).toBe(10);
    expect(hdr.decodeFromCompressedBase64(bucket?.histogram ?? '', 32, false).totalCount).toBe(10);
  });

  it('files a request or iteration by the end time its caller gives, not by a later clock reading', () => {
    let clock = 0;
    const series = new TimeSeriesRecorder(0, () => clock);
    series.recordRequest(5, false, undefined, 900);
    series.recordIteration(950);
    // a request that ended in second 1, recorded after the clock moved on: second 0 closes, it counts in second 1
    clock = 2100;
    series.recordRequest(7, true, undefined, 1200);
    series.recordIteration(1250);
    const buckets = series.drain(true);
    expect(buckets.map((b) => [b.second, b.reqs, b.failed, b.iterations])).toEqual([
      [0, 1, 0, 1],
      [1, 1, 1, 1],
    ]);
  });
});
