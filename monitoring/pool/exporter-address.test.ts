// `monitor pool` without --listen serves on pool.exporterAddress: the address the generated Alloy config scrapes.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getFreePort } from '../../src/core/net.js';
import { binPath } from '../../test/helpers/cli.js';
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
    const child = spawn(
      process.execPath,
      [binPath, 'monitor', 'pool', '--target', 'staging', '--interval', '0.2', '--json'],
      {
        cwd,
        env: {
          ...process.env,
          NO_COLOR: '1',
          POOLER_URL: `postgresql://app:pw@127.0.0.1:${deadPort}/postgres`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let result: { url: string } | undefined;
      for (let i = 0; !result && i < 300; i++) {
        try {
          result = JSON.parse(stdout);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(result?.url, stderr).toBe(`http://127.0.0.1:${exporterPort}/metrics`);
      const text = await (await fetch(`http://127.0.0.1:${exporterPort}/metrics`)).text();
      expect(text).toContain('preflight_pool_source_up');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
