// `monitor pool` without --listen serves on pool.exporterAddress: the address the generated Alloy config scrapes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getFreePort } from '../../src/core/net.js';
import { startCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

describe('preflight monitor pool: pool.exporterAddress (CLI subprocess)', () => {
  it('listens on pool.exporterAddress when --listen is not given', async () => {
    const cwd = makeTempDir('preflight-pool-address-');
    const [exporterPort, deadPort] = [await getFreePort(), await getFreePort()];
    writeFileSync(
      join(cwd, 'preflight.yaml'),
      `targets:
  staging:
    baseUrl: http://127.0.0.1:9
    pool:
      poolerUrlEnv: POOLER_URL
      exporterAddress: 127.0.0.1:${exporterPort}
`,
    );
    const cli = startCli(['monitor', 'pool', '--target', 'staging', '--interval', '0.2', '--json'], {
      cwd,
      env: { POOLER_URL: `postgresql://app:pw@127.0.0.1:${deadPort}/postgres` },
    });
    try {
      const result = await cli.waitForJson<{ url: string }>();
      const stderr = cli.stderr();
      expect(result?.url, stderr).toBe(`http://127.0.0.1:${exporterPort}/metrics`);
      const text = await (await fetch(`http://127.0.0.1:${exporterPort}/metrics`)).text();
      expect(text).toContain('preflight_pool_source_up');
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
  }, 60_000);
});
