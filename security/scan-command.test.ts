import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/app/cli.js';

async function runCli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => {
    err += d;
  });
  const cwd = mkdtempSync(join(tmpdir(), 'preflight-scan-usage-'));
  try {
    const code = await main(args, {
      cwd,
      env: { ...process.env, PREFLIGHT_HOME: join(cwd, 'home') },
      stdout,
      stderr,
    });
    return { code, stderr: err };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('preflight scan usage errors (exit 2, before any traffic)', () => {
  it('names a bad --fail-on, --only, --format or --budget', async () => {
    expect(await runCli(['scan', '--fail-on', 'severe'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'Expected `--fail-on` to be critical, high, medium, low, info or none, got `severe`',
      ),
    });
    expect(await runCli(['scan', '--only', 'jwt,xss'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown probe category: xss'),
    });
    expect(await runCli(['scan', '--format', 'html'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown report format: html'),
    });
    expect(await runCli(['scan', '--budget', '10'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Expected `--budget` to be an integer >= 50, got `10`'),
    });
  });

  it('exits 3 with a hint when no sandbox runs', async () => {
    const run = await runCli(['scan']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /error\[E_TARGET_UNREACHABLE\]: The sandbox is not running\n\s+hint: start it with `preflight sandbox up --detach`/,
    );
  });
});
