// The global flags come from yargs' parse, also for errors yargs raises itself (the CLI runs in-process here).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main, scanGlobalFlags } from './cli.js';

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  stdout.on('data', (c: Buffer) => (chunks.stdout += c.toString()));
  stderr.on('data', (c: Buffer) => (chunks.stderr += c.toString()));
  const code = await main(args, { stdout, stderr, cwd: process.cwd(), env: {} });
  return { code, ...chunks };
}

describe('global flags parsed by yargs', () => {
  it('a usage error with --json=true is reported as JSON on stdout', async () => {
    const { code, stdout, stderr } = await runMain(['launchh', '--json=true']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
    expect(stderr).toContain('error[E_USAGE]');
  });

  it('--no-json after --json wins: no JSON on stdout for a usage error', async () => {
    const { code, stdout } = await runMain(['launchh', '--json', '--no-json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it('scanGlobalFlags reads negations, values and defaults like the full parse', () => {
    expect(scanGlobalFlags(['x', '--json', '--verbose', '--no-color'])).toEqual({
      json: true,
      verbose: true,
      color: false,
    });
    expect(scanGlobalFlags(['x', '--verbose=false', '--unknown', 'y'])).toEqual({
      json: false,
      verbose: false,
      color: true,
    });
  });
});
