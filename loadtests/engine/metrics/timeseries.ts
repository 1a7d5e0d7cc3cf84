/** Per-second time series: requests, errors, latency percentiles, VUs, dropped iterations. */
import * as hdr from 'hdr-histogram-js';
import { BufferedHistogram, createHistogram } from './sinks.js';

export interface RawBucket {
  /** Seconds since test start. */
  second: number;
  reqs: number;
  failed: number;
  iterations: number;
  dropped: number;
  vus: number;
  histogram: string;
  /** Coordinated-omission corrected durations (arrival-rate executors only). */
  corrected?: string;
}

export interface SeriesPoint {
  t: number;
  rps: number;
  errorRate: number;
  p50: number;
  p95: number;
  p99: number;
  vus: number;
  iterations: number;
  droppedIterations: number;
  /** Corrected percentiles, only in seconds where an arrival-rate executor ran (coordinated omission). */
  p50Corrected?: number;
  p95Corrected?: number;
  p99Corrected?: number;
}

/** Records into the current one-second bucket; closed buckets are drained as RawBucket. */
export class TimeSeriesRecorder {
  private second = 0;
  private reqs = 0;
  private failed = 0;
  private iterations = 0;
  private dropped = 0;
  private durations = new BufferedHistogram();
  private corrected = new BufferedHistogram();
  private closed: RawBucket[] = [];
  /** Set by the executor loop; sampled when a bucket closes. */
  vus = 0;

  constructor(
    private startMs: number,
    private readonly clock: () => number,
  ) {}

  /** Moves the time origin (the test starts after setup). */
  setStart(startMs: number): void {
    this.startMs = startMs;
  }

  /** Closes the buckets of seconds before `at` (the clock's time now, unless the caller just read it). */
  private roll(at = this.clock()): void {
    const second = Math.floor((at - this.startMs) / 1000);
    while (second > this.second) this.close();
  }

  private close(): void {
    this.closed.push({
      second: this.second,
      reqs: this.reqs,
      failed: this.failed,
      iterations: this.iterations,
      dropped: this.dropped,
      vus: this.vus,
      histogram: this.reqs ? hdr.encodeIntoCompressedBase64(this.durations.histogram) : '',
      ...(this.corrected.totalCount
        ? { corrected: hdr.encodeIntoCompressedBase64(this.corrected.histogram) }
        : {}),
    });
    this.second++;
    this.reqs = 0;
    this.failed = 0;
    this.iterations = 0;
    this.dropped = 0;
    if (this.durations.totalCount) this.durations.reset();
    if (this.corrected.totalCount) this.corrected.reset();
  }

  /**
   * `correctedMs`: the duration from the intended start (arrival-rate executors), for the corrected series;
   * `atMs`: when the request ended on the recorder's clock, when the caller has it.
   */
  recordRequest(durationMs: number, failed: boolean, correctedMs?: number, atMs?: number): void {
    this.roll(atMs);
    this.reqs++;
    if (failed) this.failed++;
    this.durations.record(Math.round(durationMs * 1000));
    if (correctedMs !== undefined) this.corrected.record(Math.round(correctedMs * 1000));
  }

  /** `atMs`: when the iteration ended on the recorder's clock, when the caller has it. */
  recordIteration(atMs?: number): void {
    this.roll(atMs);
    this.iterations++;
  }

  recordDropped(count = 1): void {
    this.roll();
    this.dropped += count;
  }

  /** Returns the buckets closed so far (all of them with `final`). */
  drain(final = false): RawBucket[] {
    this.roll();
    if (final && (this.reqs || this.iterations || this.dropped)) this.close();
    const out = this.closed;
    this.closed = [];
    return out;
  }
}

/** Merges raw buckets (from one or more workers) into points; old seconds are finalized so memory stays bounded. */
export class TimeSeriesMerger {
  private readonly open = new Map<
    number,
    {
      raw: Omit<RawBucket, 'histogram' | 'corrected'>;
      histogram: hdr.Histogram | undefined;
      corrected?: hdr.Histogram;
    }
  >();
  private readonly done: SeriesPoint[] = [];
  private newest = -1;

  add(buckets: RawBucket[]): void {
    for (const b of buckets) {
      let entry = this.open.get(b.second);
      if (!entry) {
        entry = {
          raw: { second: b.second, reqs: 0, failed: 0, iterations: 0, dropped: 0, vus: 0 },
          histogram: undefined,
        };
        this.open.set(b.second, entry);
      }
      entry.raw.reqs += b.reqs;
      entry.raw.failed += b.failed;
      entry.raw.iterations += b.iterations;
      entry.raw.dropped += b.dropped;
      entry.raw.vus += b.vus;
      if (b.histogram) {
        // Decoded histograms do not auto-resize: merge into one that does.
        const decoded = hdr.decodeFromCompressedBase64(b.histogram, 32, false);
        entry.histogram ??= createHistogram();
        entry.histogram.add(decoded);
        decoded.destroy();
      }
      if (b.corrected) {
        const decoded = hdr.decodeFromCompressedBase64(b.corrected, 32, false);
        entry.corrected ??= createHistogram();
        entry.corrected.add(decoded);
        decoded.destroy();
      }
      this.newest = Math.max(this.newest, b.second);
    }
    // Workers report each closed second within about a second; older seconds will not change.
    for (const [second, entry] of this.open) {
      if (second < this.newest - 5) {
        this.done.push(toPoint(entry));
        entry.histogram?.destroy();
        entry.corrected?.destroy();
        this.open.delete(second);
      }
    }
  }

  points(): SeriesPoint[] {
    return [...this.done, ...[...this.open.values()].map(toPoint)].sort((a, b) => a.t - b.t);
  }

  /** The newest complete point, for live progress. */
  latest(): SeriesPoint | undefined {
    const entry = this.open.get(this.newest);
    return entry ? toPoint(entry) : undefined;
  }
}

function toPoint({
  raw,
  histogram,
  corrected,
}: {
  raw: Omit<RawBucket, 'histogram' | 'corrected'>;
  histogram: hdr.Histogram | undefined;
  corrected?: hdr.Histogram;
}): SeriesPoint {
  return {
    t: raw.second,
    rps: raw.reqs,
    errorRate: raw.reqs ? raw.failed / raw.reqs : 0,
    p50: histogram ? histogram.getValueAtPercentile(50) / 1000 : 0,
    p95: histogram ? histogram.getValueAtPercentile(95) / 1000 : 0,
    p99: histogram ? histogram.getValueAtPercentile(99) / 1000 : 0,
    vus: raw.vus,
    iterations: raw.iterations,
    droppedIterations: raw.dropped,
    ...(corrected
      ? {
          p50Corrected: corrected.getValueAtPercentile(50) / 1000,
          p95Corrected: corrected.getValueAtPercentile(95) / 1000,
          p99Corrected: corrected.getValueAtPercentile(99) / 1000,
        }
      : {}),
  };
}
