import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { type SandboxHandle, startSandbox } from '../sandbox/index.js';
import type { SearchCheckReport } from './report.js';
import { runSearchCheck } from './run.js';

/** Starts the twin in PREFLIGHT_HOME/sandbox so a CLI subprocess with that PREFLIGHT_HOME finds it as `--target sandbox`. */
function useSandbox(weaken: string[]): { home: string; sandbox: () => SandboxHandle } {
  const home = mkdtempSync(join(tmpdir(), `search-check-sandbox-${weaken.join('-') || 'hardened'}-`));
  let handle: SandboxHandle | undefined;
  beforeAll(async () => {
    handle = await startSandbox({ dir: join(home, 'sandbox'), weaken });
  });
  afterAll(async () => {
    try {
      await handle?.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  return { home, sandbox: () => handle! };
}

describe('search-check against the hardened sandbox', () => {
  const { home, sandbox } = useSandbox([]);

  it('passes every golden query (runSearchCheck)', async () => {
    const report = await runSearchCheck(sandbox().target);
    expect(
      report.summary.failingQueries,
      JSON.stringify(report.queries.filter((q) => q.failing).map((q) => [q.q, q.error ?? q.problems])),
    ).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.summary.constraintSatisfactionRate).toBeGreaterThanOrEqual(0.95);
    expect(report.summary.zeroResultRate).toBeLessThanOrEqual(0.05);
  });

  it('`preflight search-check --target sandbox` exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['search-check', '--target', 'sandbox', '--json'], {
      env: { PREFLIGHT_HOME: home, PREFLIGHT_CONFIG: '' },
      cwd: home,
    });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as SearchCheckReport;
    expect(report).toMatchObject({
      ok: true,
      target: 'sandbox',
      thresholds: { minPrecision: 0.95, maxZeroResultRate: 0.05 },
    });
    expect(report.summary.queries).toBeGreaterThanOrEqual(30);
  });
});

describe('search-check against the sandbox with --weaken nls-category-match (the platform bug)', () => {
  const { home } = useSandbox(['nls-category-match']);

  it('exits 1 and names the failing queries and the wrong services', async () => {
    const { code, stdout, stderr } = await runCli(['search-check', '--target', 'sandbox', '--no-color'], {
      env: { PREFLIGHT_HOME: home, PREFLIGHT_CONFIG: '' },
      cwd: home,
    });
    expect(code, stderr).toBe(1);
    expect(stderr).not.toContain('error[');
    expect(stdout).toMatch(
      /FAIL\s+piano under \$80\s+piano <= \$80\s+\d+\/\d+\s+[\d.]+%\s+\d+\/\d+ results not piano: .*\(Music\)/,
    );
    expect(stdout).toMatch(/FAIL: constraint-satisfaction rate [\d.]+% is below the minimum 95%/);
    const failing = /Failing queries \(\d+\): (.*)/.exec(stdout)?.[1] ?? '';
    for (const q of ['piano under $80', 'guitar lessons less than $60', 'spanish tutor max $50', 'pianno'])
      expect(failing).toContain(`"${q}"`);
    // price-only queries name no service, so a category-level match cannot break them
    expect(failing).not.toContain('"lessons under $50"');
  });
});
