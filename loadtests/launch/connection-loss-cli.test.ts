// `preflight load run connection-loss` as a user runs it (built CLI, real subprocess) against a sandbox started with
// the no-db-retry switch: exit 1, and the JSON report carries the error burst and the verdict.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../../test/helpers/cli.js';
import type { ConnectionLossReport } from './connection-loss.js';
import { type LaunchSandbox, startLaunchSandbox } from './fixtures/sandbox.js';

let sandbox: LaunchSandbox;

beforeAll(async () => {
  sandbox = await startLaunchSandbox({ weaken: ['no-db-retry'] });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
});

const cli = (args: string[]) =>
  runCli(args, { cwd: repoRoot, env: { PREFLIGHT_HOME: sandbox.home }, timeoutMs: 240_000 });

describe('preflight load run connection-loss (sandbox with no-db-retry)', () => {
  it('exits 1 and reports the burst in --json', async () => {
    const result = await cli([
      'load',
      'run',
      'connection-loss',
      '--engine',
      'native',
      '-e',
      'DURATION=8s',
      '-e',
      'CONNECTION_LOSS_AT=3',
      '--results-dir',
      join(sandbox.home, 'results'),
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(1);
    const output = JSON.parse(result.stdout) as {
      ok: boolean;
      launch: { connectionLoss: ConnectionLossReport };
    };
    const loss = output.launch.connectionLoss;
    expect(output.ok).toBe(false);
    expect(loss.event.atSeconds).toBeGreaterThanOrEqual(3);
    expect(loss.event.terminated).toBeGreaterThan(0);
    expect(loss.burst.failed).toBeGreaterThan(0);
    expect(loss.reasons.join('; ')).toMatch(/% of requests failed/);
  }, 300_000);
});
