/**
 * A tiny schema kit: every key carries a description and a default, validation names the key path,
 * the bad value and what is expected, and the JSON Schema is generated from the same definition.
 */
export interface Issue {
  path: string;
  message: string;
}

export interface Node<T> {
  readonly kind: string;
  readonly description: string;
  readonly optional: boolean;
  readonly defaultValue: T | undefined;
  /** Objects whose keys all have defaults are filled in when absent. */
  readonly fillWhenAbsent?: boolean;
  parse(value: unknown, path: string, issues: Issue[]): T;
  jsonSchema(): Record<string, unknown>;
}

interface Meta<T> {
  description: string;
  default?: T;
  optional?: boolean;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function base<T>(kind: string, meta: Meta<T>, schema: Record<string, unknown>) {
  return {
    kind,
    description: meta.description,
    optional: meta.optional ?? meta.default !== undefined,
    defaultValue: meta.default,
    jsonSchema: () => ({
      ...schema,
      description: meta.description,
      ...(meta.default === undefined ? {} : { default: meta.default }),
    }),
  };
}

export function string(meta: Meta<string> & { pattern?: RegExp; patternHint?: string }): Node<string> {
  return {
    ...base('string', meta, { type: 'string', ...(meta.pattern ? { pattern: meta.pattern.source } : {}) }),
    parse(value, path, issues) {
      if (typeof value !== 'string') {
        issues.push({ path, message: `expected a string, got ${show(value)}` });
        return '';
      }
      if (meta.pattern && !meta.pattern.test(value)) {
        issues.push({
          path,
          message: `expected ${meta.patternHint ?? `a value matching ${meta.pattern}`}, got ${show(value)}`,
        });
      }
      return value;
    },
  };
}

export function url(meta: Meta<string> & { protocols?: string[] }): Node<string> {
  const protocols = meta.protocols ?? ['http:', 'https:'];
  return {
    ...base('url', meta, { type: 'string', format: 'uri' }),
    parse(value, path, issues) {
      if (typeof value !== 'string') {
        issues.push({ path, message: `expected a URL string, got ${show(value)}` });
        return '';
      }
      try {
        const parsed = new URL(value);
        if (!protocols.includes(parsed.protocol)) {
          issues.push({
            path,
            message: `expected a URL with scheme ${protocols.join(' or ')}, got ${show(value)}`,
          });
        }
      } catch {
        issues.push({
          path,
          message: `expected an absolute URL such as https://api.example.com, got ${show(value)}`,
        });
      }
      return value;
    },
  };
}

export function number(meta: Meta<number> & { min?: number; max?: number; integer?: boolean }): Node<number> {
  return {
    ...base('number', meta, {
      type: meta.integer ? 'integer' : 'number',
      ...(meta.min === undefined ? {} : { minimum: meta.min }),
      ...(meta.max === undefined ? {} : { maximum: meta.max }),
    }),
    parse(value, path, issues) {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!meta.integer || Number.isInteger(value)) &&
        (meta.min === undefined || value >= meta.min) &&
        (meta.max === undefined || value <= meta.max);
      if (!ok) {
        const range = [
          meta.min === undefined ? '' : `>= ${meta.min}`,
          meta.max === undefined ? '' : `<= ${meta.max}`,
        ]
          .filter(Boolean)
          .join(' and ');
        issues.push({
          path,
          message: `expected ${meta.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got ${show(value)}`,
        });
      }
      return value as number;
    },
  };
}

export function boolean(meta: Meta<boolean>): Node<boolean> {
  return {
    ...base('boolean', meta, { type: 'boolean' }),
    parse(value, path, issues) {
      if (typeof value !== 'boolean')
        issues.push({ path, message: `expected true or false, got ${show(value)}` });
      return value as boolean;
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], meta: Meta<V>): Node<V> {
  return {
    ...base('enum', meta, { type: 'string', enum: values }),
    parse(value, path, issues) {
      if (!values.includes(value as V)) {
        issues.push({
          path,
          message: `expected one of ${values.map((v) => `"${v}"`).join(', ')}, got ${show(value)}`,
        });
      }
      return value as V;
    },
  };
}

export function array<T>(item: Node<T>, meta: Meta<T[]>): Node<T[]> {
  return {
    ...base('array', meta, { type: 'array', items: item.jsonSchema() }),
    parse(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected a list, got ${show(value)}` });
        return [];
      }
      return value.map((v, i) => item.parse(v, `${path}[${i}]`, issues));
    },
  };
}

export function record<T>(item: Node<T>, meta: Meta<Record<string, T>>): Node<Record<string, T>> {
  return {
    ...base('record', meta, { type: 'object', additionalProperties: item.jsonSchema() }),
    parse(value, path, issues) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `expected a mapping, got ${show(value)}` });
        return {};
      }
      const out: Record<string, T> = {};
      for (const [k, v] of Object.entries(value)) out[k] = item.parse(v, path ? `${path}.${k}` : k, issues);
      return out;
    },
  };
}

type Shape = Record<string, Node<unknown>>;
export type Infer<N> = N extends Node<infer T> ? T : never;
type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

export function object<S extends Shape>(shape: S, meta: Meta<ObjectOf<S>>): Node<ObjectOf<S>> {
  const required = Object.entries(shape)
    .filter(([, n]) => !n.optional)
    .map(([k]) => k);
  return {
    kind: 'object',
    description: meta.description,
    optional: meta.optional ?? required.length === 0,
    defaultValue: meta.default,
    fillWhenAbsent: meta.optional === undefined && required.length === 0,
    jsonSchema: () => ({
      type: 'object',
      description: meta.description,
      additionalProperties: false,
      properties: Object.fromEntries(Object.entries(shape).map(([k, n]) => [k, n.jsonSchema()])),
      ...(required.length ? { required } : {}),
    }),
    parse(value, path, issues) {
      const input = value === undefined ? {} : value;
      if (!input || typeof input !== 'object' || Array.isArray(input)) {
        issues.push({ path, message: `expected a mapping, got ${show(value)}` });
        return {} as ObjectOf<S>;
      }
      const record = input as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(record)) {
        if (!(key in shape)) {
          const known = Object.keys(shape).join(', ');
          issues.push({ path: path ? `${path}.${key}` : key, message: `unknown key (known keys: ${known})` });
        }
      }
      for (const [key, node] of Object.entries(shape)) {
        const childPath = path ? `${path}.${key}` : key;
        const raw = record[key];
        if (raw === undefined || raw === null) {
          if (node.defaultValue !== undefined) out[key] = structuredClone(node.defaultValue);
          else if (node.fillWhenAbsent) out[key] = node.parse(undefined, childPath, issues);
          else if (!node.optional)
            issues.push({ path: childPath, message: `is required: ${node.description}` });
          continue;
        }
        out[key] = node.parse(raw, childPath, issues);
      }
      return out as ObjectOf<S>;
    },
  };
}

/** Marks a node optional without a default. */
export function optional<T>(node: Node<T>): Node<T | undefined> {
  return { ...node, optional: true } as Node<T | undefined>;
}
