/**
 * The ONE reader of the Prometheus text exposition format. `parseSamples` gives every sample (name, labels, value):
 * what the load-test sampler sums; `parseFamilies` gives which sample names a source exports and with which labels
 * (declared `# TYPE` families included): what the monitoring inventory checks queries against.
 */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExportedSample {
  /** Label names seen on at least one sample. */
  labels: Set<string>;
  /** Values seen per label (for `le` and other exact matchers). */
  values: Map<string, Set<string>>;
  /** False when the family was declared (# TYPE) but had no sample yet: labels are unknown. */
  observed: boolean;
}

/** Sample name -> what was exported under it. */
export type Exposition = Map<string, ExportedSample>;

type ExpositionLine =
  | { kind: 'type'; family: string; type: string }
  | { kind: 'sample'; name: string; labels: Array<[string, string]>; value: string };

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const typeLine = /^#\s*TYPE\s+(\S+)\s+(\S+)/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

/** The meaningful lines of exposition text: `# TYPE` declarations and samples (other comments are skipped). */
function* readLines(text: string): Generator<ExpositionLine> {
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const type = typeLine.exec(line);
      if (type) yield { kind: 'type', family: type[1]!, type: type[2]! };
      continue;
    }
    const match = sampleLine.exec(line);
    if (!match) continue;
    const labels: Array<[string, string]> = [];
    for (const pair of (match[2] ?? '').matchAll(labelPair))
      labels.push([pair[1]!, pair[2]!.replace(/\\(.)/g, '$1')]);
    yield { kind: 'sample', name: match[1]!, labels, value: match[3]! };
  }
}

/** Every sample with a numeric value (`+Inf`/`-Inf` included; `NaN` and unreadable values are skipped). */
export function parseSamples(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const line of readLines(text)) {
    if (line.kind !== 'sample') continue;
    const value = readValue(line.value);
    if (Number.isNaN(value)) continue;
    samples.push({ name: line.name, labels: Object.fromEntries(line.labels), value });
  }
  return samples;
}

function readValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

const suffixesByType: Record<string, string[]> = {
  histogram: ['_bucket', '_count', '_sum'],
  summary: ['_count', '_sum'],
  counter: ['', '_total'],
};

/** Sample names with their label names and values; families declared by `# TYPE` without samples yet are listed unobserved. */
export function parseFamilies(text: string): Exposition {
  const out: Exposition = new Map();
  const declare = (name: string) => {
    if (!out.has(name)) out.set(name, { labels: new Set(), values: new Map(), observed: false });
    return out.get(name)!;
  };
  for (const line of readLines(text)) {
    if (line.kind === 'type') {
      for (const suffix of suffixesByType[line.type] ?? ['']) {
        if (line.type === 'counter' && suffix === '_total' && line.family.endsWith('_total')) continue;
        declare(`${line.family}${suffix}`);
      }
      continue;
    }
    const sample = declare(line.name);
    sample.observed = true;
    for (const [label, value] of line.labels) {
      sample.labels.add(label);
      if (!sample.values.has(label)) sample.values.set(label, new Set());
      sample.values.get(label)!.add(value);
    }
  }
  return out;
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
