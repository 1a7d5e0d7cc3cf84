/**
 * Test helpers: SARIF 2.1.0 schema validation and a real XML parser. The schema is the OASIS SARIF 2.1.0 (rtm.5)
 * JSON schema as published on SchemaStore (its `id`), vendored unchanged beside this file
 * (sha256 2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const require = createRequire(import.meta.url);
// both are CommonJS with a default export: require them so the classes come through under NodeNext
type Validator = ((data: unknown) => boolean) & {
  errors?: Array<{ instancePath: string; message?: string }> | null;
};
type AjvLike = { compile(schema: object): Validator };
const Ajv04 = (require('ajv-draft-04') as { default: new (options: Record<string, unknown>) => AjvLike })
  .default;
const addFormats = (require('ajv-formats') as { default: (ajv: AjvLike) => void }).default;

export function loadSarifSchema(): Record<string, unknown> {
  const path = new URL('./sarif-2.1.0-rtm.5.json', import.meta.url);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Returns the schema errors (empty when the document is valid SARIF 2.1.0). */
export function validateSarif(document: unknown): string[] {
  const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(loadSarifSchema());
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Parses XML strictly; throws with the parser's message when it is not well-formed. */
export function parseXml(xml: string): Record<string, unknown> {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} at line ${valid.err.line}`);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as Record<
    string,
    unknown
  >;
}
