/** Reads the Prometheus text exposition format: which sample names a source exports and with which labels. */

export interface ExportedSample {
  /** Label names seen on at least one sample. */
  labels: Set<string>;
  /** Values seen per label (for `le` and other exact matchers). */
  values: Map<string, Set<string>>;
  /** False when the family was declared (# TYPE) but had no sample yet: labels are unknown. */
  observed: boolean;
}

export type Exposition = Map<string, ExportedSample>;

const suffixesByType: Record<string, string[]> = {
  histogram: ['_bucket', '_count', '_sum'],
  summary: ['_count', '_sum'],
  counter: ['', '_total'],
};

/** Parses exposition text into sample names with their label names and values. */
export function parseExposition(text: string): Exposition {
  const out: Exposition = new Map();
  const declare = (name: string) => {
    if (!out.has(name)) out.set(name, { labels: new Set(), values: new Map(), observed: false });
    return out.get(name)!;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type) {
        const [, family, kind] = type;
        const suffixes = suffixesByType[kind!] ?? [''];
        for (const suffix of suffixes) {
          if (kind === 'counter' && suffix === '_total' && family!.endsWith('_total')) continue;
          declare(`${family}${suffix}`);
        }
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+\S+/.exec(line);
    if (!match) continue;
    const sample = declare(match[1]!);
    sample.observed = true;
    for (const [label, value] of readLabels(match[2] ?? '')) {
      sample.labels.add(label);
      if (!sample.values.has(label)) sample.values.set(label, new Set());
      sample.values.get(label)!.add(value);
    }
  }
  return out;
}

function readLabels(block: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
  for (const match of block.matchAll(pattern)) out.push([match[1]!, match[2]!.replace(/\\(.)/g, '$1')]);
  return out;
}
