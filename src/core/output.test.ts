// Output: results and artifacts on stdout, --json semantics, redaction (real streams, no mock).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutput } from './output.js';

function capture(json: boolean) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { stdout: '', stderr: '' };
  stdout.on('data', (c: Buffer) => (text.stdout += c.toString()));
  stderr.on('data', (c: Buffer) => (text.stderr += c.toString()));
  return { out: createOutput({ json, stdout, stderr }), text };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
const template = 'env:\n  DATABASE_URL: postgres://app:hunter2secret@db:5432/app\n  KEY: ${{ secrets.KEY }}';

describe('Output', () => {
  it('artifact writes the text raw (unredacted) with a final newline; print redacts', () => {
    const { out, text } = capture(false);
    out.artifact(template);
    out.artifact('already ends\n');
    out.result({ ok: true });
    expect(text.stdout).toBe(`${template}\nalready ends\n`);
    const before = text.stdout.length;
    out.print(template);
    expect(text.stdout.slice(before)).toContain('DATABASE_URL: postgres://app:');
    expect(text.stdout.slice(before)).not.toContain('hunter2secret');
  });

  it('with --json, artifact writes only its raw JSON value (or nothing) and print nothing', () => {
    const { out, text } = capture(true);
    out.artifact(template);
    out.print('human text');
    expect(text.stdout).toBe('');
    out.artifact(template, { json: { ok: true, content: template } });
    expect(JSON.parse(text.stdout)).toEqual({ ok: true, content: template });
  });
});
