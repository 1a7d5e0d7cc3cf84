import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSamples } from '../../src/core/exposition.js';
import { getFreePort } from '../../src/core/net.js';
import { runCli, startCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

const supabaseKey = 'sb-secret-service-role-key';
const poolerPassword = 'pooler-pw-secret';

/** pgbouncer_exporter-style series as a fixture: the names are the exporter's, not checked against real Supabase. */
const supabaseText = `# TYPE pgbouncer_pools_client_waiting_connections gauge
pgbouncer_pools_client_waiting_connections{database="postgres",user="authenticator"} 4
pgbouncer_pools_client_active_connections{database="postgres",user="authenticator"} 12
pgbouncer_pools_server_active_connections{database="postgres",user="authenticator"} 15
pgbouncer_pools_client_maxwait_seconds{database="postgres",user="authenticator"} 1.5
pgbouncer_stats_queries_pooled_total{database="postgres"} 1234
`;

const cwd = makeTempDir('preflight-pool-cli-');
const supabase = createServer((request, response) => {
  const expected = `Basic ${Buffer.from(`service_role:${supabaseKey}`).toString('base64')}`;
  if (request.headers.authorization !== expected) response.writeHead(401).end();
  else response.writeHead(200, { 'content-type': 'text/plain' }).end(supabaseText);
});
afterAll(() => new Promise<void>((resolve) => supabase.close(() => resolve())));

describe('preflight monitor pool (CLI subprocess)', () => {
  it('prints the bound URL with --json, serves the Supabase pooler series and up=0 for a dead pooler, stops on Ctrl-C', async () => {
    await new Promise<void>((resolve) => supabase.listen(0, '127.0.0.1', resolve));
    const supabasePort = (supabase.address() as AddressInfo).port;
    const deadPort = await getFreePort();
    writeFileSync(
      join(cwd, 'preflight.yaml'),
      `targets:
  staging:
    baseUrl: http://127.0.0.1:9
    pool:
      poolerUrlEnv: POOLER_URL
      supabaseMetricsUrl: http://127.0.0.1:${supabasePort}/customer/v1/privileged/metrics
      supabaseMetricsPasswordEnv: SUPABASE_KEY
`,
    );
    const cli = startCli(
      ['monitor', 'pool', '--target', 'staging', '--listen', '127.0.0.1:0', '--interval', '0.2', '--json'],
      {
        cwd,
        env: {
          POOLER_URL: `postgresql://app:${poolerPassword}@127.0.0.1:${deadPort}/postgres`,
          SUPABASE_KEY: supabaseKey,
        },
      },
    );
    try {
      const result = await cli.waitForJson<{ ok: boolean; url: string; sources: string[] }>();
      const stderr = cli.stderr();
      expect(result, stderr).toMatchObject({ ok: true, sources: ['supabase', 'probe'] });
      expect(result!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await (await fetch(result!.url)).text();
        if (
          text.includes('preflight_pool_source_up{source="probe"} 0') &&
          text.includes('source="supabase"} 1')
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const samples = parseSamples(text);
      const find = (name: string, source?: string) =>
        samples.find((s) => s.name === name && (source === undefined || s.labels.source === source))?.value;
      expect(find('preflight_pool_source_up', 'supabase')).toBe(1);
      expect(find('preflight_pool_source_up', 'probe')).toBe(0);
      expect(find('preflight_pool_cl_waiting')).toBe(4);
      expect(find('preflight_pool_maxwait_seconds')).toBe(1.5);
      expect(find('preflight_pool_queries_total')).toBe(1234);
      expect(samples.find((s) => s.name === 'preflight_pool_acquire_failures_total')?.labels.cause).toBe(
        'refused',
      );
      for (const secret of [supabaseKey, poolerPassword]) {
        expect(text).not.toContain(secret);
        expect(cli.stdout()).not.toContain(secret);
        expect(cli.stderr()).not.toContain(secret);
      }
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toContain('probe: down');
  }, 60_000);

  it('names the bad --listen value', async () => {
    const { code, stderr } = await runCli(['monitor', 'pool', '--target', 'staging', '--listen', 'nowhere'], {
      cwd,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('`--listen`');
    expect(stderr).toContain('nowhere');
  });

  it('stops with E_CONFIG naming the settings when the target has nothing to watch', async () => {
    const dir = makeTempDir('preflight-pool-cli-empty-');
    writeFileSync(join(dir, 'preflight.yaml'), 'targets:\n  bare:\n    baseUrl: http://127.0.0.1:9\n');
    const { code, stderr } = await runCli(
      ['monitor', 'pool', '--target', 'bare', '--listen', '127.0.0.1:0'],
      {
        cwd: dir,
      },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('E_CONFIG');
    expect(stderr).toContain('pool.poolerUrlEnv');
  });
});
