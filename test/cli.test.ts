import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { makeTempDir } from './helpers/temp-dir.js';

describe('preflight CLI (built bin, real subprocess)', () => {
  it('--help lists every command group with a description and the exit codes', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('preflight config <action>');
    expect(stdout).toMatch(
      /Exit codes: 0 ok, 1 a check failed, 2 usage or config error, 3 target unreachable, 4/,
    );
    for (const option of ['--config', '--target', '--json', '--verbose', '--color'])
      expect(stdout).toContain(option);
  });

  it('an unknown command gives a clear message and exit 2', async () => {
    const { code, stderr } = await runCli(['launchh']);
    expect(code).toBe(2);
    expect(stderr).toContain('error[E_USAGE]');
  });

  it('an unknown option gives a clear message and exit 2', async () => {
    const { code, stderr } = await runCli(['config', 'check', '--frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown argument: frobnicate/);
  });

  it('an invalid config value names the key and exits 2, with --json on stdout', async () => {
    const dir = makeTempDir('preflight-cli-');
    writeFileSync(
      join(dir, 'preflight.yaml'),
      'targets:\n  staging:\n    baseUrl: https://x.example.com\n    slo: { errorRate: 7 }\n',
    );
    const { code, stdout, stderr } = await runCli(['config', 'check', '--json'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('targets.staging.slo.errorRate: expected a number >= 0 and <= 1, got 7');
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { code: 'E_CONFIG', exitCode: 2 } });
  });

  it('the sandbox target without a running sandbox is "unreachable" (exit 3) with a hint', async () => {
    const home = makeTempDir('preflight-home-');
    const { code, stderr } = await runCli(['config', 'check', '--target', 'sandbox'], {
      env: { PREFLIGHT_HOME: home },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('preflight sandbox up --detach');
  });

  it('config schema prints JSON Schema', async () => {
    const { code, stdout } = await runCli(['config', 'schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ title: 'preflight.yaml', type: 'object' });
  });
});
