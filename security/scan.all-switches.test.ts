import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import type { Finding } from './findings.js';
import { runMain } from './test/run-main.js';
import { startTestSandbox, type TestSandbox } from './test/sandbox.js';
import { expectedRule } from './test/switches.js';
import { parseXml, validateSarif } from './test/validate.js';

interface SarifResult {
  partialFingerprints: Record<string, string>;
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>;
  message: { text: string };
}

describe('all switches on: everything found in one scan, gating and baseline', () => {
  let sandbox: TestSandbox;
  let cwd: string;
  let run: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    sandbox = await startTestSandbox(Object.keys(expectedRule));
    cwd = makeTempDir('preflight-scan-all-');
    run = await runCli(
      [
        'scan',
        '--json',
        '--format',
        'sarif,junit,md',
        '--out',
        'reports',
        '--fail-on',
        'high',
        '--baseline',
        'baseline.json',
      ],
      cwd,
      sandbox.home,
    );
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('finds every switch in one scan and exits 1 with --fail-on high', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Finding[]; requests: number };
    const rules = new Set(report.findings.map((f) => f.ruleId));
    for (const [weakness, rule] of Object.entries(expectedRule))
      expect(rules.has(rule), `${weakness} -> ${rule}`).toBe(true);
    expect(report.requests).toBeLessThanOrEqual(3000);
    expect(run.stdout).not.toContain('changeme');
  });

  it('writes SARIF that validates against the 2.1.0 schema, with fingerprints, security-severity and relative URIs', () => {
    const sarif = JSON.parse(readFileSync(join(cwd, 'reports', 'preflight-scan.sarif'), 'utf8'));
    expect(validateSarif(sarif)).toEqual([]);
    const results = sarif.runs[0].results as SarifResult[];
    expect(results.length).toBeGreaterThan(10);
    for (const r of results) {
      expect(r.partialFingerprints['preflightFindingHash/v1']).toMatch(/^[0-9a-f]{24}$/);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).not.toMatch(/^(\/|https?:)/);
      expect(r.message.text).toContain(sandbox.handle.target.baseUrl);
    }
    const rule = sarif.runs[0].tool.driver.rules.find((x: { id: string }) => x.id === 'SQLI-TIME');
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.help.text).toMatch(/Remediation \(FastAPI\/Starlette\)/);
  });

  it('writes well-formed JUnit with a failure per gated finding', () => {
    const junit = parseXml(readFileSync(join(cwd, 'reports', 'preflight-scan.junit.xml'), 'utf8')) as {
      testsuites: Record<string, string>;
    };
    expect(Number(junit.testsuites['@failures'])).toBeGreaterThan(5);
  });

  it('exits 0 when every finding is in a live baseline, and 1 again once an entry has expired', async () => {
    const update = await runCli(
      [
        'scan',
        '--update-baseline',
        '--baseline',
        'baseline.json',
        '--only',
        'exposure,cors',
        '--format',
        'table',
      ],
      cwd,
      sandbox.home,
    );
    expect(update.code).toBe(0);
    const accepted = await runCli(
      ['scan', '--baseline', 'baseline.json', '--only', 'exposure,cors', '--fail-on', 'medium'],
      cwd,
      sandbox.home,
    );
    expect(accepted.stderr).not.toMatch(/internal error/);
    expect(accepted.code).toBe(0);
    const baseline = JSON.parse(readFileSync(join(cwd, 'baseline.json'), 'utf8')) as {
      entries: Array<{ id: string; expires: string }>;
    };
    const metrics = baseline.entries.find((e) => e.id === 'EXPOSED-METRICS')!;
    metrics.expires = '2020-01-01';
    writeFileSync(join(cwd, 'baseline.json'), JSON.stringify(baseline));
    const expired = await runCli(
      ['scan', '--baseline', 'baseline.json', '--only', 'exposure,cors', '--fail-on', 'medium'],
      cwd,
      sandbox.home,
    );
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/EXPOSED-METRICS[\s\S]*baseline entry expired/);
  });
});

async function runCli(args: string[], cwd: string, home: string) {
  return runMain(args, { cwd, env: { ...process.env, PREFLIGHT_HOME: home } });
}
