// The generated Alloy config scrapes the `monitor pool` exporter when the target has a pool to watch (`alloy fmt` is
// not available here: the structure is read back block by block).
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/core/config/load.js';
import { renderAlloyConfig } from './alloy.js';

function render(pool: Record<string, unknown> | undefined): string {
  const config = validateConfig({
    targets: {
      staging: {
        baseUrl: 'https://api.staging.example.com',
        environment: 'staging',
        grafana: {
          url: 'https://staging.grafana.net',
          remoteWriteUrl: 'https://prometheus-prod.grafana.net/api/prom/push',
        },
        ...(pool ? { pool } : {}),
      },
    },
  });
  const target = config.targets.staging;
  if (!target) throw new Error('no staging target');
  return renderAlloyConfig({ targetName: 'staging', target, config });
}

/** The top-level blocks: `kind "label"` -> body lines (a block ends at the first `}` in column 0). */
function readBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const open = /^([a-z_.]+) "([^"]+)" \{$/.exec(line);
    if (open) {
      current = [];
      blocks.set(`${open[1]} "${open[2]}"`, current);
    } else if (line === '}') current = undefined;
    else current?.push(line.trim());
  }
  return blocks;
}

describe('renderAlloyConfig: the pool exporter', () => {
  it('scrapes the exporter at the default address as job "pool" when the target has a pool section', () => {
    const blocks = readBlocks(render({ poolerAdminUrlEnv: 'STAGING_PGBOUNCER_ADMIN_URL' }));
    expect([...blocks.keys()]).toEqual([
      'prometheus.scrape "platform"',
      'prometheus.scrape "pool"',
      'prometheus.remote_write "grafana_cloud"',
    ]);
    const pool = blocks.get('prometheus.scrape "pool"');
    expect(pool).toEqual([
      'targets = [{',
      '__address__ = "127.0.0.1:9187",',
      'environment = "staging",',
      '}]',
      'scheme          = "http"',
      'metrics_path    = "/metrics"',
      'job_name        = "pool"',
      'scrape_interval = "30s"',
      'forward_to      = [prometheus.remote_write.grafana_cloud.receiver]',
    ]);
  });

  it('uses pool.exporterAddress, for any pool source (pooled URL, admin console, Supabase endpoint)', () => {
    for (const source of [
      { poolerUrlEnv: 'STAGING_POOLER_URL' },
      { supabaseMetricsUrl: 'https://abcd.supabase.co/customer/v1/privileged/metrics' },
    ]) {
      const pool = readBlocks(render({ ...source, exporterAddress: '10.0.0.7:9300' })).get(
        'prometheus.scrape "pool"',
      );
      expect(pool).toContain('__address__ = "10.0.0.7:9300",');
      expect(pool).toContain('job_name        = "pool"');
    }
  });

  it('has no pool job when the target has no pool to watch', () => {
    const blocks = readBlocks(render(undefined));
    expect([...blocks.keys()]).toEqual([
      'prometheus.scrape "platform"',
      'prometheus.remote_write "grafana_cloud"',
    ]);
    expect(readBlocks(render({ exporterAddress: '127.0.0.1:9300' })).has('prometheus.scrape "pool"')).toBe(
      false,
    );
  });

  it('rejects an exporterAddress that is not host:port, naming the key', () => {
    expect(() => render({ poolerUrlEnv: 'STAGING_POOLER_URL', exporterAddress: 'http://x/metrics' })).toThrow(
      /pool\.exporterAddress.*host:port/,
    );
  });
});
