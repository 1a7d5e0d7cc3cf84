/** Metric sinks with k6's aggregation: Counter, Gauge, Rate and Trend (an HDR histogram, bounded memory). */
import * as hdr from 'hdr-histogram-js';

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/** Trend values are kept as integers of 1/1000 of their unit (microseconds for time). */
const SCALE = 1000;

export function createHistogram(): hdr.Histogram {
  return hdr.build({ autoResize: true, numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
}

/** HDR's layout at 3 significant digits (unit 1): 2048 sub-buckets, the upper 1024 used in every bucket but the first. */
const SUB_HALF_MAGNITUDE = 10;
const SUB_HALF = 1 << SUB_HALF_MAGNITUDE;

/**
 * An HDR histogram with a fast front: values are counted in a plain array laid out as HDR lays out its counts (the
 * index from Math.clz32 and a shift, no Math.pow or Math.log2), and folded into the HDR histogram when it is read.
 * A request records into about ten histograms between socket writes and reads; HDR's own recordValue there was the
 * engine's largest cost after the socket calls (bench:load, CPU profiles). Reads go through `histogram`.
 */
export class BufferedHistogram {
  readonly #hdr = createHistogram();
  // grows with the largest value seen (8 KB covers values below 2048, i.e. 2 ms of microseconds)
  #counts = new Uint32Array(2 * SUB_HALF);
  #lo = Number.POSITIVE_INFINITY;
  #hi = -1;
  #pending = 0;

  /** Records a non-negative integer value (already scaled). */
  record(value: number): void {
    // beyond 2^31 (35 minutes in microseconds) the shift below would overflow: HDR records it directly
    if (!(value >= 0 && value < 2 ** 31)) {
      this.#hdr.recordValue(Math.max(0, value));
      return;
    }
    let index = value;
    if (value >= 2 * SUB_HALF) {
      const bucket = 31 - Math.clz32(value) - SUB_HALF_MAGNITUDE;
      index = bucket * SUB_HALF + (value >>> bucket);
    }
    if (index >= this.#counts.length) {
      const grown = new Uint32Array(Math.max(index + 1, this.#counts.length * 2));
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.#counts[index] = (this.#counts[index] as number) + 1;
    if (index < this.#lo) this.#lo = index;
    if (index > this.#hi) this.#hi = index;
    // a count must fit its Uint32 slot: fold long before one could overflow
    if (++this.#pending >= 2 ** 31) this.#fold();
  }

  #fold(): void {
    const counts = this.#counts;
    for (let index = this.#lo; index <= this.#hi; index++) {
      const count = counts[index] as number;
      if (count === 0) continue;
      counts[index] = 0;
      // the lowest value of the index's sub-bucket: HDR files it under the same index
      const bucket = index < 2 * SUB_HALF ? 0 : Math.floor(index / SUB_HALF) - 1;
      const value = bucket === 0 ? index : (index - bucket * SUB_HALF) * 2 ** bucket;
      this.#hdr.recordValueWithCount(value, count);
    }
    this.#lo = Number.POSITIVE_INFINITY;
    this.#hi = -1;
    this.#pending = 0;
  }

  /** The histogram with every value recorded so far. */
  get histogram(): hdr.Histogram {
    if (this.#pending) this.#fold();
    return this.#hdr;
  }

  get totalCount(): number {
    return this.#hdr.totalCount + this.#pending;
  }

  reset(): void {
    if (this.#pending) {
      this.#counts.fill(0, this.#lo, this.#hi + 1);
      this.#lo = Number.POSITIVE_INFINITY;
      this.#hi = -1;
      this.#pending = 0;
    }
    this.#hdr.reset();
  }
}

export class CounterSink {
  count = 0;
  samples = 0;
  add(value: number): void {
    this.count += value;
    this.samples++;
  }
  values(durationS: number): Record<string, number> {
    return { count: this.count, rate: durationS > 0 ? this.count / durationS : 0 };
  }
  toJSON() {
    return { count: this.count, samples: this.samples };
  }
  merge(other: { count: number; samples: number }): void {
    this.count += other.count;
    this.samples += other.samples;
  }
}

export class GaugeSink {
  value = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  samples = 0;
  add(value: number): void {
    this.value = value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.samples++;
  }
  values(): Record<string, number> {
    return { value: this.value, min: this.samples ? this.min : 0, max: this.samples ? this.max : 0 };
  }
  toJSON() {
    return { value: this.value, min: this.min, max: this.max, samples: this.samples };
  }
  merge(other: { value: number; min: number; max: number; samples: number }): void {
    if (!other.samples) return;
    this.value = other.value;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.samples += other.samples;
  }
}

export class RateSink {
  passes = 0;
  total = 0;
  add(value: number): void {
    this.total++;
    if (value) this.passes++;
  }
  values(): Record<string, number> {
    return {
      rate: this.total ? this.passes / this.total : 0,
      passes: this.passes,
      fails: this.total - this.passes,
    };
  }
  toJSON() {
    return { passes: this.passes, total: this.total };
  }
  merge(other: { passes: number; total: number }): void {
    this.passes += other.passes;
    this.total += other.total;
  }
}

export class TrendSink {
  readonly #values = new BufferedHistogram();
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.#values.record(value > 0 ? Math.round(value * SCALE) : 0);
  }
  /** Adds `count` samples of one value (coordinated-omission back-fill). */
  addMany(value: number, count: number): void {
    if (count <= 0) return;
    this.count += count;
    this.sum += value * count;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.histogram.recordValueWithCount(value > 0 ? Math.round(value * SCALE) : 0, count);
  }
  /** The HDR histogram of the values (integers of 1/1000 of the unit), every one recorded. */
  get histogram(): hdr.Histogram {
    return this.#values.histogram;
  }
  percentile(p: number): number {
    if (!this.count) return 0;
    if (p >= 100) return this.max;
    if (p <= 0) return this.min;
    return Math.min(this.max, Math.max(this.min, this.histogram.getValueAtPercentile(p) / SCALE));
  }
  stat(name: string): number | undefined {
    if (name === 'avg') return this.count ? this.sum / this.count : 0;
    if (name === 'min') return this.count ? this.min : 0;
    if (name === 'max') return this.count ? this.max : 0;
    if (name === 'med') return this.percentile(50);
    if (name === 'count') return this.count;
    const match = /^p\((\d+(?:\.\d+)?)\)$/.exec(name);
    return match ? this.percentile(Number(match[1])) : undefined;
  }
  values(stats: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of stats) {
      const v = this.stat(s);
      if (v !== undefined) out[s] = v;
    }
    return out;
  }
  toJSON() {
    return {
      histogram: hdr.encodeIntoCompressedBase64(this.histogram),
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }
  merge(other: { histogram: string; count: number; sum: number; min: number; max: number }): void {
    if (!other.count) return;
    const decoded = hdr.decodeFromCompressedBase64(other.histogram, 32, false);
    this.histogram.add(decoded);
    decoded.destroy();
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }
}

export type Sink = CounterSink | GaugeSink | RateSink | TrendSink;

export function createSink(type: MetricType): Sink {
  if (type === 'counter') return new CounterSink();
  if (type === 'gauge') return new GaugeSink();
  if (type === 'rate') return new RateSink();
  return new TrendSink();
}
