import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}

describe('security/ci/preflight-scan.yml', () => {
  const workflow = parse(readFileSync(new URL('./preflight-scan.yml', import.meta.url), 'utf8')) as {
    permissions: Record<string, string>;
    jobs: { scan: { steps: Step[] } };
  };
  const steps = workflow.jobs.scan.steps;

  it('starts the sandbox, scans with --fail-on high and uploads SARIF even when the scan fails', () => {
    expect(steps.some((s) => s.run?.includes('preflight.js sandbox up --detach'))).toBe(true);
    const scan = steps.find((s) => s.name === 'Scan')!;
    expect(scan.run).toMatch(
      /preflight\.js scan --target "\$TARGET"[\s\S]*--format table,json,sarif,junit,md[\s\S]*--fail-on high/,
    );
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload.if).toMatch(/^always\(\)/);
    expect(upload.with?.sarif_file).toBe('preflight-scan/preflight-scan.sarif');
    expect(workflow.permissions['security-events']).toBe('write');
    expect(steps.at(-1)!.run).toContain('sandbox down');
  });
});
