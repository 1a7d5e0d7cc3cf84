// `preflight load run connection-loss` against the spec-only platform (test/spec-platform), configured with nothing
// but its URL and admin database URL: the spec names neither the API's role nor its application_name, so the drop
// must find the API's sessions without them (every client session of the database but preflight's own).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionLossReport } from '../loadtests/launch/connection-loss.js';
import { runCli } from './helpers/cli.js';
import { type SpecPlatform, startSpecPlatform } from './spec-platform/index.js';

describe('connection-loss against the spec-only platform, no role or application name configured', () => {
  const home = mkdtempSync(join(tmpdir(), 'preflight-cl-spec-'));
  let platform: SpecPlatform;
  beforeAll(async () => {
    platform = await startSpecPlatform();
  }, 180_000);
  afterAll(async () => {
    try {
      await platform?.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  const runLoss = async (withBypass: boolean) => {
    const config = join(home, withBypass ? 'bypass.yaml' : 'plain.yaml');
    writeFileSync(
      config,
      [
        'targets:',
        '  spec:',
        `    baseUrl: ${platform.baseUrl}`,
        '    database: { adminUrlEnv: SPEC_DB_ADMIN_URL }',
        // the scenario's steady traffic is above the per-IP limit: without the bypass, 429s decide the verdict
        ...(withBypass
          ? [`    rateLimitBypass: { header: ${platform.bypassHeader}, tokenEnv: SPEC_BYPASS_TOKEN }`]
          : []),
        '',
      ].join('\n'),
    );
    const result = await runCli(
      [
        'load',
        'run',
        'connection-loss',
        '--config',
        config,
        '--target',
        'spec',
        '--engine',
        'native',
        '-e',
        'DURATION=8s',
        '-e',
        'CONNECTION_LOSS_AT=3',
        '--results-dir',
        join(home, 'results'),
        '--json',
      ],
      {
        cwd: home,
        env: {
          PREFLIGHT_HOME: home,
          SPEC_DB_ADMIN_URL: platform.databaseUrl,
          SPEC_BYPASS_TOKEN: platform.bypassToken,
        },
        timeoutMs: 240_000,
      },
    );
    expect([0, 1], result.stderr).toContain(result.code);
    const output = JSON.parse(result.stdout) as {
      ok: boolean;
      launch: { connectionLoss: ConnectionLossReport };
    };
    const loss = output.launch.connectionLoss;
    console.info(
      `connection-loss on the spec platform (bypass ${withBypass}): ${JSON.stringify({ ok: output.ok, ...loss.event, reasons: loss.reasons })}`,
    );
    expect(result.code).toBe(output.ok ? 0 : 1);
    return loss;
  };

  it("terminates the API's database sessions (the report counts them) and reaches a verdict", async () => {
    const loss = await runLoss(true);
    expect(loss.event.atSeconds).toBeGreaterThanOrEqual(3);
    expect(loss.event.terminated, loss.reasons.join('; ')).toBeGreaterThan(0);
    expect(loss.reasons.join('\n')).not.toMatch(/no database session was terminated/);
  }, 300_000);

  it('without the rate-limit bypass, the verdict says the failures were 429s and names the setting', async () => {
    const loss = await runLoss(false);
    expect(loss.reasons.join('\n')).toMatch(/were answered 429 \(rate limited\).*rateLimitBypass/);
  }, 300_000);
});
