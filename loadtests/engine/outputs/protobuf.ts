/** A hand-written encoder for Prometheus remote write's WriteRequest (prompb), the only message we send. */

export interface PromSeries {
  labels: Record<string, string>;
  samples: Array<{ value: number; timestampMs: number }>;
}

class Writer {
  private chunks: number[] = [];
  varint(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.chunks.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.chunks.push(v);
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.chunks.push(b);
  }
  string(field: number, value: string): void {
    this.bytes(field, Buffer.from(value, 'utf8'));
  }
  double(field: number, value: number): void {
    this.tag(field, 1);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    for (const b of buffer) this.chunks.push(b);
  }
  int64(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** Encodes a WriteRequest{timeseries: [{labels (sorted, __name__ first), samples}]}. */
export function encodeWriteRequest(series: PromSeries[]): Uint8Array {
  const request = new Writer();
  for (const s of series) {
    const ts = new Writer();
    for (const [name, value] of Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const label = new Writer();
      label.string(1, name);
      label.string(2, value);
      ts.bytes(1, label.finish());
    }
    for (const sample of s.samples) {
      const encoded = new Writer();
      encoded.double(1, sample.value);
      encoded.int64(2, sample.timestampMs);
      ts.bytes(2, encoded.finish());
    }
    request.bytes(1, ts.finish());
  }
  return request.finish();
}
