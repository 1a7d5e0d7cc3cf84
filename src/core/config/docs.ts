/** Renders docs/configuration.md from the schema, so the page cannot drift from the code. */
import { getConfigJsonSchema } from './load.js';

interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
}

function describeType(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items?.type ?? 'values'}`;
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object')
    return 'mapping';
  return node.type ?? 'value';
}

function collectRows(node: SchemaNode, path: string, required: boolean, rows: string[]): void {
  if (path) {
    const def =
      node.default === undefined ? (required ? 'required' : '') : `\`${JSON.stringify(node.default)}\``;
    rows.push(
      `| \`${path}\` | ${describeType(node)} | ${def} | ${(node.description ?? '').replace(/\|/g, '\\|')} |`,
    );
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    collectRows(child, path ? `${path}.${key}` : key, (node.required ?? []).includes(key), rows);
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    collectRows(node.additionalProperties, `${path}.<name>`, false, rows);
  }
}

export function renderConfigDocs(): string {
  const rows: string[] = [];
  collectRows(getConfigJsonSchema() as SchemaNode, '', false, rows);
  return [
    '# preflight.yaml',
    '',
    'Generated from `src/core/config/schema.ts` by `npm run docs:config`; a test fails when this page and the schema differ.',
    '',
    'The file is optional: without it the built-in `sandbox` target is used. Secrets are never written here: keys ending',
    'in `Env` name the environment variable that holds the secret. Any key can be overridden from the environment with',
    '`PREFLIGHT__<key>__<key>=value` (JSON values are parsed), and `PREFLIGHT_TARGET` sets `defaultTarget`.',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
