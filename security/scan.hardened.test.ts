import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../src/core/net.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { isAtLeast } from './findings.js';
import { planScan, runScan, type ScanResult } from './scan.js';
import { runMain } from './test/run-main.js';
import { startTestSandbox, type TestSandbox } from './test/sandbox.js';
import { parseXml, validateSarif } from './test/validate.js';

describe('preflight scan against the hardened sandbox', () => {
  let sandbox: TestSandbox;
  let result: ScanResult;
  let cwd: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox([]);
    result = await runScan(planScan(sandbox.handle.target));
    cwd = makeTempDir('preflight-scan-cwd-');
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('reports no finding of severity medium or above (zero false positives)', () => {
    const serious = result.findings.filter((f) => isAtLeast(f.severity, 'medium'));
    expect(serious.map((f) => `${f.ruleId} ${f.location.path}: ${f.detail}`)).toEqual([]);
    expect(result.probes.map((p) => [p.name, p.status])).toEqual([
      ['headers', 'ok'],
      ['cors', 'ok'],
      ['jwt', 'ok'],
      ['authz', 'ok'],
      ['injection', 'ok'],
      ['exposure', 'ok'],
      ['authn', 'ok'],
      ['resource', 'ok'],
    ]);
    // the brute-force probe saw the throttle, and within the documented budget
    expect(result.probes.find((p) => p.name === 'authn')!.notes.join(' ')).toMatch(
      /login throttled after [1-6] attempts/,
    );
    expect(result.requests).toBeLessThanOrEqual(3000);
  });

  it('runs the booking checks through the spec routes, leaves no booking active, and lists what did not run', () => {
    const notRun = result.probes.flatMap((p) => p.notRun.map((n) => `${p.name}: ${n.check}`));
    // a slot was found through search + public availability, and the sandbox has every route the checks use
    for (const check of [
      'authz: BOLA',
      'authz: BOLA read',
      'resource: body size limit (413)',
      'resource: page size bound',
    ])
      expect(notRun, check).not.toContain(check);
    // plain http on loopback, and no role or profile-update route in the spec
    expect(notRun).toEqual(
      expect.arrayContaining([
        'headers: HSTS',
        'authz: function-level authorization',
        'authz: profile mass assignment',
      ]),
    );
    expect(result.probes.find((p) => p.name === 'authz')!.status).toBe('ok');
  });

  it('exits 0 with --fail-on high and writes SARIF that validates against the 2.1.0 schema and well-formed JUnit', async () => {
    const run = await runMain(
      [
        'scan',
        '--format',
        'table,json,sarif,junit,md',
        '--out',
        'reports',
        '--fail-on',
        'high',
        '--only',
        'headers,cors,exposure',
      ],
      {
        cwd,
        env: { ...process.env, PREFLIGHT_HOME: sandbox.home },
      },
    );
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/PASS: nothing at or above high/);
    const sarif = JSON.parse(readFileSync(join(cwd, 'reports', 'preflight-scan.sarif'), 'utf8'));
    expect(validateSarif(sarif)).toEqual([]);
    const junit = parseXml(readFileSync(join(cwd, 'reports', 'preflight-scan.junit.xml'), 'utf8'));
    expect(junit.testsuites).toBeDefined();
    expect(readFileSync(join(cwd, 'reports', 'preflight-scan.md'), 'utf8')).toMatch(
      /## preflight security scan: sandbox/,
    );
  });

  it('gives exit 3 and a clear message, no stack trace, when the target does not answer', async () => {
    const port = await getFreePort();
    const dir = makeTempDir('preflight-scan-dead-');
    writeFileSync(join(dir, 'preflight.yaml'), `targets:\n  dead:\n    baseUrl: http://127.0.0.1:${port}\n`);
    const run = await runMain(['scan', '--target', 'dead'], { cwd: dir, env: { ...process.env } });
    rmSync(dir, { recursive: true, force: true });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /error\[E_TARGET_UNREACHABLE\]: Target "dead" did not answer at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
