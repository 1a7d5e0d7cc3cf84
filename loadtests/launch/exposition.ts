/** A small reader of the Prometheus text exposition format: the samples the sampler needs, nothing more. */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const line = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const label = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const raw of text.split('\n')) {
    if (!raw || raw.startsWith('#')) continue;
    const m = line.exec(raw.trim());
    if (!m) continue;
    const value = Number(m[3] === '+Inf' ? Number.POSITIVE_INFINITY : m[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

/** The sum of every series of `name` (all label sets), or undefined when the metric is absent. */
export function sumOf(samples: ExpositionSample[], name: string): number | undefined {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : undefined;
}

/** The largest value of `name` over its series (e.g. the busiest pool). */
export function maxOf(samples: ExpositionSample[], name: string): number | undefined {
  let max: number | undefined;
  for (const s of samples) if (s.name === name) max = max === undefined ? s.value : Math.max(max, s.value);
  return max;
}
