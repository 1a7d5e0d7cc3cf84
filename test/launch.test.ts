import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

interface LaunchJson {
  ok: boolean;
  target: string;
  steps: Array<{ step: string; status: string; summary: string }>;
}

describe('preflight launch (real sandbox, built CLI)', () => {
  it('starts the sandbox, passes every launch check on the hardened twin and leaves nothing running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'preflight-launch-'));
    const { code, stdout, stderr } = await runCli(['launch', '--json'], {
      env: { PREFLIGHT_HOME: home },
      timeoutMs: 240_000,
    });
    const report = JSON.parse(stdout) as LaunchJson;
    expect(report.steps.map((s) => s.step)).toEqual(['search-check', 'load', 'scan', 'backup', 'monitoring']);
    expect(
      report.steps.filter((s) => s.status !== 'pass'),
      stderr,
    ).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(existsSync(join(home, 'sandbox', 'state.json'))).toBe(false);
    expect(existsSync(join(home, 'sandbox', 'pgdata'))).toBe(false);
    const launchDirs = readdirSync(join(home, 'launch'));
    expect(launchDirs).toHaveLength(1);
    expect(readdirSync(join(home, 'launch', launchDirs[0]!))).toEqual(
      expect.arrayContaining(['backups', 'security']),
    );
  }, 300_000);

  it('fails (exit 1) and names the broken checks on a weakened twin', async () => {
    const home = mkdtempSync(join(tmpdir(), 'preflight-launch-'));
    const { code, stdout } = await runCli(
      ['launch', '--weaken', 'nls-category-match,double-booking', '--only', 'search-check,load', '--json'],
      { env: { PREFLIGHT_HOME: home }, timeoutMs: 240_000 },
    );
    const report = JSON.parse(stdout) as LaunchJson;
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(byStep['search-check']?.status).toBe('fail');
    expect(byStep['search-check']?.summary).toContain('piano under $80');
    expect(byStep.load?.status).toBe('fail');
    expect(byStep.load?.summary).toMatch(/booking-race: .*(invariant|failed)/);
  }, 300_000);

  it('rejects an unknown step with exit 2 before starting anything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'preflight-launch-'));
    const { code, stderr } = await runCli(['launch', '--only', 'warp-drive'], {
      env: { PREFLIGHT_HOME: home },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown launch step "warp-drive"');
    expect(existsSync(join(home, 'sandbox'))).toBe(false);
  });
});
