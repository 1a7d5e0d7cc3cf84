import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgeKeys } from '../backups/fixtures/support.js';
import { validateConfig } from '../src/core/config/load.js';
import { getFreePort } from '../src/core/net.js';
import { type RunningTool, startTool } from '../src/core/process.js';
import { type SandboxHandle, startSandbox } from '../src/sandbox/index.js';
import { binPath, runCli } from '../test/helpers/cli.js';
import { getAlertRuleState, type LocalPrometheus, startLocalPrometheus } from './prometheus.js';
import { getMetricsEndpoints } from './scrape.js';
import { getTargetProfile, runInventory } from './test-run.js';

const home = mkdtempSync(join(tmpdir(), 'preflight-monitor-sandbox-'));
/** The working directory of the CLI runs: its preflight.yaml names the age recipient and the Pushgateway. */
const cwd = join(home, 'cwd');
mkdirSync(cwd);
const config = validateConfig({});
let sandbox: SandboxHandle | undefined;
let pushgateway: RunningTool | undefined;
let pushgatewayUrl = '';
let prometheus: LocalPrometheus | undefined;

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined as T);
    if (last !== undefined && done(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

beforeAll(async () => {
  sandbox = await startSandbox({ dir: join(home, 'sandbox') });
  const port = await getFreePort();
  pushgateway = startTool('prometheus-pushgateway', [
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  pushgatewayUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    'the pushgateway',
    () => fetch(`${pushgatewayUrl}/-/ready`).then((r) => r.status),
    (s) => s === 200,
    20_000,
  );
  // a real backup run and restore verification of the sandbox database push the backup metrics
  const keys = await createAgeKeys();
  writeFileSync(
    join(cwd, 'preflight.yaml'),
    `backups:\n  ageRecipients: [${keys.recipient}]\n  pushgatewayUrl: ${pushgatewayUrl}\n`,
  );
  const storage = `file://${join(home, 'backups')}`;
  const env = { PREFLIGHT_HOME: home, PREFLIGHT_AGE_IDENTITY: keys.identity };
  const backup = await runCli(['backup', 'run', '--storage', storage, '--json'], {
    cwd,
    env,
    timeoutMs: 170_000,
  });
  expect(backup.code, backup.stderr).toBe(0);
  const verify = await runCli(['backup', 'verify', 'latest', '--storage', storage, '--json'], {
    cwd,
    env,
    timeoutMs: 170_000,
  });
  expect(verify.code, verify.stderr).toBe(0);
  const pushed = await fetch(`${pushgatewayUrl}/metrics`).then((r) => r.text());
  for (const name of [
    'preflight_backup_last_success_timestamp_seconds',
    'preflight_backup_verify_last_success_timestamp_seconds',
    'preflight_backup_failures_total',
  ]) {
    expect(pushed).toContain(name);
  }
}, 400_000);

afterAll(async () => {
  try {
    await prometheus?.stop();
    await pushgateway?.kill();
    await sandbox?.stop();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe('monitoring against the sandbox twin and a real Pushgateway', () => {
  it('every panel, alert and recording rule finds its metrics and labels (inventory)', async () => {
    const { result, scrapeFailures } = await runInventory(
      { config, env: process.env, pushgatewayUrl },
      sandbox!.target,
    );
    expect(scrapeFailures).toEqual([]);
    expect(result.sources.sort()).toEqual(['platform', 'pushgateway', 'supabase']);
    expect(result.problems.map((p) => p.message)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('catches a planted reference to a metric the sandbox does not export, naming the panel', async () => {
    const { result } = await runInventory({ config, env: process.env, pushgatewayUrl }, sandbox!.target, [
      { where: 'panel "Cache hits" of dashboard "Planted"', expr: 'rate(instainstru_cache_hits_total[5m])' },
      {
        where: 'alert "PlantedPoolAlert"',
        expr: 'instainstru_db_pool_connections_used / instainstru_db_pool_connections_max',
      },
    ]);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.where)).toEqual([
      'panel "Cache hits" of dashboard "Planted"',
      'alert "PlantedPoolAlert"',
      'alert "PlantedPoolAlert"',
    ]);
  });

  it('`preflight monitor test` passes against the sandbox and the Pushgateway (CLI)', async () => {
    // the Pushgateway comes from backups.pushgatewayUrl of the preflight.yaml in cwd
    const run = await runCli(['monitor', 'test', '--json'], {
      cwd,
      env: { PREFLIGHT_HOME: home },
      timeoutMs: 170_000,
    });
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      steps: Array<{ name: string; ok: boolean; problems: string[] }>;
    };
    expect(report.steps.map((s) => [s.name, s.ok, s.problems])).toEqual([
      ['rules-check', true, []],
      ['rules-test', true, []],
      ['dashboards', true, []],
      ['synth', true, []],
      ['inventory', true, []],
    ]);
    expect(run.code).toBe(0);
  }, 180_000);

  it('`preflight monitor up` serves the generated rules on loopback until interrupted (CLI)', async () => {
    const child = spawn(process.execPath, [binPath, 'monitor', 'up', '--json', '--scrape-interval', '1s'], {
      cwd,
      env: { ...process.env, PREFLIGHT_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const started = await waitFor(
        'monitor up to print its URL',
        async () => stdout,
        (text) => text.includes('"url"'),
        60_000,
      );
      const { url, sources } = JSON.parse(started) as { url: string; sources: string[] };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sources).toEqual(['platform', 'supabase', 'pushgateway']);
      const state = await waitFor(
        'the rules to load',
        () => getAlertRuleState(url, 'SloAvailabilityBurnRatePage'),
        (s) => s !== undefined,
        30_000,
      );
      expect(state).toBe('inactive');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('the Load tests panels find the k6 series a native-engine load run remote-writes to the local Prometheus', async () => {
    const target = sandbox!.target;
    prometheus = await startLocalPrometheus({
      endpoints: getMetricsEndpoints(target, config, process.env, { pushgatewayUrl }),
      profile: { ...getTargetProfile(target, config), forOverride: '2s' },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    const load = await runCli(
      [
        'load',
        'run',
        'smoke',
        '--engine',
        'native',
        '--vus',
        '2',
        '--duration',
        '4s',
        '--testid',
        'monitor-inventory',
        '--out',
        `prometheus-rw=${prometheus.url}/api/v1/write`,
      ],
      { cwd, env: { PREFLIGHT_HOME: home }, timeoutMs: 120_000 },
    );
    // 1 = the smoke scenario's own thresholds failed on a loaded machine; the metrics were written all the same
    expect([0, 1], `${load.stdout}\n${load.stderr}`).toContain(load.code);
    const { result } = await runInventory(
      { config, env: process.env, pushgatewayUrl, k6PrometheusUrl: prometheus.url },
      target,
    );
    expect(result.problems.map((p) => p.message)).toEqual([]);
    // every k6 panel query is now checked against real series (no booking was made, so only that counter has no samples)
    expect(result.unverified.filter((u) => u.metric.startsWith('k6_'))).toEqual([]);
    expect(result.sources).toContain('k6');
  }, 150_000);

  it('a local Prometheus with the generated rules sees ScrapeTargetDown fire when the sandbox stops', async () => {
    prometheus ??= await startLocalPrometheus({
      endpoints: getMetricsEndpoints(sandbox!.target, config, process.env, { pushgatewayUrl }),
      profile: { ...getTargetProfile(sandbox!.target, config), forOverride: '2s' },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    const query = async (expr: string) => {
      const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (
        (await response.json()) as {
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        }
      ).data.result;
    };
    const up = await waitFor(
      'the platform scrape',
      () => query('up{job="platform"}'),
      (r) => r[0]?.value[1] === '1',
      60_000,
    );
    expect(up[0]!.metric.environment).toBe('sandbox');
    await waitFor(
      'backup metrics via the Pushgateway',
      () => query('preflight_backup_last_success_timestamp_seconds'),
      (r) => r.length === 1,
      30_000,
    );
    expect(await getAlertRuleState(prometheus.url, 'ScrapeTargetDown')).toBe('inactive');
    await sandbox!.stop();
    sandbox = undefined;
    const state = await waitFor(
      'ScrapeTargetDown to fire',
      () => getAlertRuleState(prometheus!.url, 'ScrapeTargetDown'),
      (s) => s === 'firing',
      90_000,
    );
    expect(state).toBe('firing');
  }, 180_000);
});
