/**
 * A small PromQL reader: finds the metric names a query selects, the label matchers on each, and
 * the labels used in grouping clauses. Enough for the inventory; not a full parser.
 */

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface MetricReference {
  metric: string;
  matchers: LabelMatcher[];
}

export interface QueryReferences {
  metrics: MetricReference[];
  /** Labels named in by/without/on/ignoring/group_left/group_right clauses. */
  groupingLabels: string[];
}

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
]);
const aggregations = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'limitk',
  'limit_ratio',
]);
const groupingKeywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Reads the metric selectors and grouping labels of a PromQL expression. */
export function readQueryReferences(expr: string): QueryReferences {
  const metrics: MetricReference[] = [];
  const groupingLabels = new Set<string>();
  let i = 0;
  const n = expr.length;
  const skipSpace = () => {
    while (i < n && /\s/.test(expr[i]!)) i++;
  };
  while (i < n) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      continue;
    }
    if (c === '[') {
      i = expr.indexOf(']', i) + 1 || n;
      continue;
    }
    if (c === '$') {
      // Grafana template variables such as $__rate_interval or ${environment}
      i++;
      if (expr[i] === '{') i = expr.indexOf('}', i) + 1 || n;
      else while (i < n && /[\w]/.test(expr[i]!)) i++;
      continue;
    }
    if (c === '{') {
      // a selector without a metric name: {__name__="x"}
      const { matchers, end } = readMatchers(expr, i);
      const name = matchers.find((m) => m.label === '__name__' && m.op === '=');
      if (name) metrics.push({ metric: name.value, matchers: matchers.filter((m) => m !== name) });
      i = end;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      while (i < n && /[0-9.eE]/.test(expr[i]!)) i++;
      while (i < n && /[smhdwy]/.test(expr[i]!)) i++;
      continue;
    }
    if (/[a-zA-Z_:]/.test(c)) {
      const start = i;
      while (i < n && /[a-zA-Z0-9_:]/.test(expr[i]!)) i++;
      const word = expr.slice(start, i);
      skipSpace();
      const lower = word.toLowerCase();
      if (groupingKeywords.has(lower)) {
        if (expr[i] === '(') {
          const close = expr.indexOf(')', i);
          for (const label of expr.slice(i + 1, close).split(',')) {
            const trimmed = label.trim();
            if (trimmed) groupingLabels.add(trimmed);
          }
          i = close + 1;
        }
        continue;
      }
      if (keywords.has(lower) || aggregations.has(lower)) continue;
      if (expr[i] === '(') continue; // a function or aggregation
      if (expr[i] === '{') {
        const { matchers, end } = readMatchers(expr, i);
        metrics.push({ metric: word, matchers });
        i = end;
      } else {
        metrics.push({ metric: word, matchers: [] });
      }
      continue;
    }
    i++;
  }
  return { metrics, groupingLabels: [...groupingLabels] };
}

function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1;
  return i + 1;
}

function readMatchers(expr: string, open: number): { matchers: LabelMatcher[]; end: number } {
  const matchers: LabelMatcher[] = [];
  let i = open + 1;
  const pattern =
    /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/y;
  while (i < expr.length) {
    while (i < expr.length && /\s/.test(expr[i]!)) i++;
    if (expr[i] === '}') return { matchers, end: i + 1 };
    pattern.lastIndex = i;
    const match = pattern.exec(expr);
    if (!match) {
      const close = expr.indexOf('}', i);
      return { matchers, end: close === -1 ? expr.length : close + 1 };
    }
    matchers.push({ label: match[1]!, op: match[2] as LabelMatcher['op'], value: match[3]!.slice(1, -1) });
    i = pattern.lastIndex;
  }
  return { matchers, end: expr.length };
}

/** Builds a selector `name{a="b",...}` from matcher strings, leaving out empty ones. */
export function selectMetric(name: string, ...matchers: Array<string | undefined>): string {
  const parts = matchers.filter((m): m is string => Boolean(m));
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}
