/**
 * `response.json(selector)`: the part of gjson's path syntax k6 scripts use. `a.b.c`, array indexes `items.0`,
 * `items.#` (length), `items.#.name` (that field of every element), `items.#(name=="x")` (first match) and
 * `items.#(age>30)#` (every match), `*`/`?` wildcards in a key, `\.` for a literal dot. Missing -> undefined.
 */

function splitPath(selector: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i]!;
    if (ch === '\\' && i + 1 < selector.length) {
      current += selector[++i];
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === '.' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function wildcardToRegExp(key: string): RegExp {
  const escaped = key
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function parseLiteral(text: string): unknown {
  const trimmed = text.trim();
  if (/^".*"$/.test(trimmed)) return trimmed.slice(1, -1);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed === 'null') return null;
  if (trimmed !== '' && !Number.isNaN(Number(trimmed))) return Number(trimmed);
  return trimmed;
}

function matchesQuery(element: unknown, query: string): boolean {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>|%|!%)\s*(.*)$/.exec(query);
  if (!m) return select(element, query) !== undefined;
  const [, path = '', op, literal = ''] = m;
  const left = path === '' ? element : select(element, path);
  const right = parseLiteral(literal);
  switch (op) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return (left as number) < (right as number);
    case '<=':
      return (left as number) <= (right as number);
    case '>':
      return (left as number) > (right as number);
    case '>=':
      return (left as number) >= (right as number);
    case '%':
      return typeof left === 'string' && wildcardToRegExp(String(right)).test(left);
    default:
      return typeof left === 'string' && !wildcardToRegExp(String(right)).test(left);
  }
}

function step(value: unknown, part: string, rest: string[]): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    if (part === '#') {
      if (rest.length === 0) return value.length;
      return value.map((element) => walk(element, rest)).filter((v) => v !== undefined);
    }
    const query = /^#\((.*)\)(#?)$/.exec(part);
    if (query) {
      const hits = value.filter((element) => matchesQuery(element, query[1] ?? ''));
      if (query[2]) return hits.map((element) => walk(element, rest)).filter((v) => v !== undefined);
      return hits.length ? walk(hits[0], rest) : undefined;
    }
    if (/^\d+$/.test(part)) return walk(value[Number(part)], rest);
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (/[*?]/.test(part)) {
    const pattern = wildcardToRegExp(part);
    const key = Object.keys(record).find((k) => pattern.test(k));
    return key === undefined ? undefined : walk(record[key], rest);
  }
  return Object.hasOwn(record, part) ? walk(record[part], rest) : undefined;
}

function walk(value: unknown, parts: string[]): unknown {
  if (parts.length === 0) return value;
  const [part = '', ...rest] = parts;
  return step(value, part, rest);
}

/** The value at `selector` in parsed JSON `value`, or undefined. */
export function select(value: unknown, selector: string): unknown {
  return walk(value, splitPath(selector));
}
