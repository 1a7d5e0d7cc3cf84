/** A local Prometheus (Debian `prometheus`) on loopback that scrapes a target with the generated rules. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PreflightError, runCleanups } from '../src/core/errors.js';
import { getFreePort, isPortInUse } from '../src/core/net.js';
import { type RunningTool, startTool } from '../src/core/process.js';
import type { MonitoringProfile } from './profile.js';
import { renderPrometheusRules } from './rules.js';
import type { MetricsEndpoint } from './scrape.js';

export interface LocalPrometheusOptions {
  endpoints: MetricsEndpoint[];
  profile: MonitoringProfile;
  port?: number;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** prometheus executable (name on PATH or absolute path). */
  prometheus?: string;
  /** Where config, rules and data live (default: a temp dir removed on stop). */
  dir?: string;
  startTimeoutMs?: number;
}

export interface LocalPrometheus {
  url: string;
  port: number;
  dir: string;
  process: RunningTool;
  stop(): Promise<void>;
}

/** The job name of each source in the local Prometheus. */
const jobBySource: Record<string, string> = {
  platform: 'platform',
  supabase: 'supabase',
  pushgateway: 'pushgateway',
};

/** Writes prometheus.yml (passwords in 0600 files, never in the YAML) and the rule file. */
export function writePrometheusConfig(dir: string, options: LocalPrometheusOptions): string {
  const rulesFile = join(dir, 'preflight.rules.yml');
  writeFileSync(rulesFile, renderPrometheusRules(options.profile));
  const scrapeConfigs = options.endpoints.map((endpoint) => {
    const url = new URL(endpoint.url);
    const config: Record<string, unknown> = {
      job_name: jobBySource[endpoint.source] ?? endpoint.source,
      scheme: url.protocol.replace(':', ''),
      metrics_path: url.pathname,
      static_configs: [{ targets: [url.host], labels: { environment: options.profile.environment } }],
      ...(endpoint.source === 'pushgateway' ? { honor_labels: true } : {}),
    };
    if (endpoint.username !== undefined && endpoint.password !== undefined) {
      const passwordFile = join(dir, `${endpoint.source}.password`);
      writeFileSync(passwordFile, endpoint.password, { mode: 0o600 });
      config.basic_auth = { username: endpoint.username, password_file: passwordFile };
    }
    return config;
  });
  const config = {
    global: {
      scrape_interval: options.scrapeInterval ?? '15s',
      evaluation_interval: options.evaluationInterval ?? '15s',
      scrape_timeout: getScrapeTimeout(options.scrapeInterval ?? '15s'),
    },
    rule_files: [rulesFile],
    scrape_configs: scrapeConfigs,
  };
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, stringify(config));
  return file;
}

/** 5s, or the scrape interval when shorter (Prometheus rejects a timeout longer than the interval). */
function getScrapeTimeout(interval: string): string {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(interval);
  if (!match) return '5s';
  const seconds = Number(match[1]) / (match[2] === 'ms' ? 1000 : 1);
  return seconds < 5 ? interval : '5s';
}

/** Starts Prometheus on 127.0.0.1 and waits until it is ready. */
export async function startLocalPrometheus(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
  const ownDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'preflight-prometheus-'));
  const cleanups: Array<() => Promise<void> | void> = [];
  if (ownDir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const configFile = writePrometheusConfig(dir, options);
    if (options.port !== undefined && (await isPortInUse(options.port))) {
      throw new PreflightError('E_PORT_IN_USE', `Port ${options.port} is already in use`, {
        hint: 'choose another with --port, or omit --port to use a free one',
      });
    }
    const port = options.port ?? (await getFreePort());
    const child = startTool(options.prometheus ?? 'prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      // load runs (k6 experimental-prometheus-rw, the native engine) can write here: the Load tests panels get data
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ]);
    cleanups.push(async () => {
      // zx refuses (synchronously) to kill a process that already exited
      await Promise.resolve()
        .then(() => child.kill('SIGTERM'))
        .catch(() => undefined);
      await child.result.catch(() => undefined);
    });
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url, child, options.startTimeoutMs ?? 30_000);
    return { url, port, dir, process: child, stop: () => runCleanups([...cleanups]) };
  } catch (error) {
    await runCleanups([...cleanups]);
    throw error;
  }
}

async function waitUntilReady(url: string, child: RunningTool, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: unknown;
  child.result.then(
    () => {
      exited = new PreflightError('E_MONITORING', 'Prometheus exited before it became ready', {
        hint: 'run it with --verbose, or check its configuration with `promtool check config`',
      });
    },
    (error: unknown) => {
      exited = error;
    },
  );
  while (Date.now() < deadline) {
    if (exited) throw exited;
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new PreflightError(
    'E_MONITORING',
    `Prometheus did not become ready at ${url} within ${timeoutMs} ms`,
    {
      hint: 'run with --verbose and check that the port is free',
    },
  );
}

/** The state of one alerting rule ("inactive", "pending", "firing") from /api/v1/rules. */
export async function getAlertRuleState(url: string, alertName: string): Promise<string | undefined> {
  const response = await fetch(`${url}/api/v1/rules?type=alert`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as {
    data: { groups: Array<{ rules: Array<{ name: string; state: string }> }> };
  };
  for (const group of body.data.groups)
    for (const rule of group.rules) if (rule.name === alertName) return rule.state;
  return undefined;
}
