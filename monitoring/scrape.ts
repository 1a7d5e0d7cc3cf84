/** Scrapes the metric sources of a target: the platform endpoint, Supabase's privileged endpoint, a Pushgateway. */
import type { PreflightConfig } from '../src/core/config/schema.js';
import { PreflightError } from '../src/core/errors.js';
import { type Exposition, parseFamilies } from '../src/core/exposition.js';
import { redactUrl, registerSecret } from '../src/core/redact.js';
import { assertAllowedUrl, type ResolvedTarget } from '../src/core/target.js';
import type { MetricSource } from './metrics.js';

export interface MetricsEndpoint {
  source: MetricSource;
  url: string;
  username?: string;
  password?: string;
}

/** The endpoints to scrape for a target; the Pushgateway comes from the option or backups.pushgatewayUrl; the pool exporter only from its option. */
export function getMetricsEndpoints(
  target: ResolvedTarget,
  config: PreflightConfig,
  env: NodeJS.ProcessEnv,
  options: { pushgatewayUrl?: string; poolExporterUrl?: string } = {},
): MetricsEndpoint[] {
  const endpoints: MetricsEndpoint[] = [];
  const platformUrl = `${target.apiBase}${target.metricsPath.startsWith('/') ? '' : '/'}${target.metricsPath}`;
  const sandbox = target.sandbox;
  if (sandbox) {
    const auth = sandbox.metricsAuth;
    registerSecret(auth?.password);
    endpoints.push({
      source: 'platform',
      url: platformUrl,
      username: auth?.username,
      password: auth?.password,
    });
    endpoints.push({
      source: 'supabase',
      url: `${target.baseUrl.replace(/\/+$/, '')}/customer/v1/privileged/metrics`,
      username: 'service_role',
      password: auth?.password,
    });
  } else {
    const configured = config.targets[target.name];
    const auth = configured?.metricsAuth;
    const password = auth ? env[auth.passwordEnv] : undefined;
    registerSecret(password);
    endpoints.push({ source: 'platform', url: platformUrl, username: auth?.username, password });
    const supabase = configured?.supabaseMetrics;
    if (supabase) {
      const key = env[supabase.passwordEnv];
      registerSecret(key);
      endpoints.push({ source: 'supabase', url: supabase.url, username: 'service_role', password: key });
    }
  }
  const pushgateway = options.pushgatewayUrl ?? config.backups.pushgatewayUrl;
  if (pushgateway)
    endpoints.push({ source: 'pushgateway', url: `${pushgateway.replace(/\/+$/, '')}/metrics` });
  if (options.poolExporterUrl) endpoints.push({ source: 'pool', url: options.poolExporterUrl });
  return endpoints;
}

/** Fetches and parses one endpoint. */
export async function scrapeEndpoint(endpoint: MetricsEndpoint, timeoutMs = 10_000): Promise<Exposition> {
  const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
  if (endpoint.username !== undefined && endpoint.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `Cannot scrape the ${endpoint.source} metrics at ${redactUrl(endpoint.url)}`,
      {
        hint: 'check that it runs and the URL is right',
        cause: error,
      },
    );
  }
  const text = await response.text();
  if (response.status !== 200) {
    throw new PreflightError(
      'E_MONITORING',
      `Scraping ${redactUrl(endpoint.url)} (${endpoint.source}) answered HTTP ${response.status}`,
      {
        hint:
          response.status === 401
            ? 'set the basic auth of the metrics endpoint (targets.<t>.metricsAuth / supabaseMetrics.passwordEnv)'
            : 'the endpoint must serve the Prometheus text format',
      },
    );
  }
  return parseFamilies(text);
}

export interface ScrapeOutcome {
  exported: Partial<Record<MetricSource, Exposition>>;
  failures: Array<{ source: MetricSource; url: string; message: string }>;
}

/** Scrapes every endpoint; a failed one is reported, not thrown, so the others still count. */
export async function scrapeEndpoints(
  endpoints: MetricsEndpoint[],
  target?: ResolvedTarget,
): Promise<ScrapeOutcome> {
  const exported: ScrapeOutcome['exported'] = {};
  const failures: ScrapeOutcome['failures'] = [];
  for (const endpoint of endpoints) {
    try {
      if (target && endpoint.source === 'platform') assertAllowedUrl(target, endpoint.url);
      exported[endpoint.source] = await scrapeEndpoint(endpoint);
    } catch (error) {
      if (!(error instanceof PreflightError) || error.code === 'E_TARGET_NOT_ALLOWED') throw error;
      failures.push({ source: endpoint.source, url: redactUrl(endpoint.url), message: error.message });
    }
  }
  return { exported, failures };
}

/**
 * The series a Prometheus holds for a matcher, as an exposition: how the inventory checks metrics that are
 * remote-written (k6 load runs) instead of scraped.
 */
export async function readPrometheusSeries(
  prometheusUrl: string,
  match: string,
  lookbackSeconds = 6 * 3600,
): Promise<Exposition> {
  // a minute of slack: a sample written within the current second is newer than floor(now)
  const end = Math.ceil(Date.now() / 1000) + 60;
  const url = new URL(`${prometheusUrl.replace(/\/+$/, '')}/api/v1/series`);
  url.searchParams.set('match[]', match);
  url.searchParams.set('start', String(end - 60 - lookbackSeconds));
  url.searchParams.set('end', String(end));
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `Cannot query the Prometheus at ${redactUrl(prometheusUrl)}`,
      {
        hint: 'check --k6-prometheus: the Prometheus the load run remote-wrote to',
        cause: error,
      },
    );
  }
  if (response.status !== 200) {
    throw new PreflightError(
      'E_MONITORING',
      `${redactUrl(url.toString())} answered HTTP ${response.status}`,
      {
        hint: 'the URL must be a Prometheus (or Mimir) query API base URL',
      },
    );
  }
  const body = (await response.json()) as { data: Array<Record<string, string>> };
  const lines = body.data.map((series) => {
    const { __name__: name, ...labels } = series;
    const block = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
      .join(',');
    return `${name}{${block}} 1`;
  });
  return parseFamilies(lines.join('\n'));
}
