/** Turns k6's `--out json` sample stream into preflight's per-second time series. */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { createHistogram } from '../metrics/sinks.js';
import { type RawBucket, type SeriesPoint, TimeSeriesMerger } from '../metrics/timeseries.js';

interface Bucket {
  reqs: number;
  failed: number;
  iterations: number;
  dropped: number;
  vus: number;
  histogram: hdr.Histogram | undefined;
}

/** Reads k6 JSON lines (`{"type":"Point","metric":...,"data":{"time","value"}}`) into one point per second. */
export async function readK6JsonSeries(path: string): Promise<SeriesPoint[]> {
  if (!existsSync(path)) return [];
  const buckets = new Map<number, Bucket>();
  let startMs: number | undefined;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.startsWith('{"type":"Point"') && !line.includes('"type":"Point"')) continue;
    let point: { metric?: string; data?: { time?: string; value?: number } };
    try {
      point = JSON.parse(line);
    } catch {
      continue;
    }
    const time = point.data?.time ? Date.parse(point.data.time) : Number.NaN;
    const value = point.data?.value ?? 0;
    if (!Number.isFinite(time)) continue;
    startMs ??= Math.floor(time / 1000) * 1000;
    const second = Math.max(0, Math.floor((time - startMs) / 1000));
    let bucket = buckets.get(second);
    if (!bucket) {
      bucket = { reqs: 0, failed: 0, iterations: 0, dropped: 0, vus: 0, histogram: undefined };
      buckets.set(second, bucket);
    }
    switch (point.metric) {
      case 'http_reqs':
        bucket.reqs += value;
        break;
      case 'http_req_failed':
        if (value) bucket.failed++;
        break;
      case 'http_req_duration':
        bucket.histogram ??= createHistogram();
        bucket.histogram.recordValue(Math.max(0, Math.round(value * 1000)));
        break;
      case 'iterations':
        bucket.iterations += value;
        break;
      case 'dropped_iterations':
        bucket.dropped += value;
        break;
      case 'vus':
        bucket.vus = value;
        break;
    }
  }
  const raw: RawBucket[] = [...buckets.entries()].map(([second, b]) => ({
    second,
    reqs: b.reqs,
    failed: b.failed,
    iterations: b.iterations,
    dropped: b.dropped,
    vus: b.vus,
    histogram: b.histogram ? hdr.encodeIntoCompressedBase64(b.histogram) : '',
  }));
  const merger = new TimeSeriesMerger();
  merger.add(raw);
  return merger.points();
}
