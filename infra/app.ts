/** The cdktn app: one MonitoringStack per environment of `monitoring.environments`, synthesized in-process. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktn';
import { buildDashboards } from '../monitoring/dashboards.js';
import { createProfileForTarget } from '../monitoring/profile.js';
import { buildGrafanaRuleGroups } from '../monitoring/rules.js';
import type { PreflightConfig } from '../src/core/config/schema.js';
import { PreflightError } from '../src/core/errors.js';
import { requireBaseUrl } from '../src/core/target.js';
import { MonitoringStack } from './stack.js';

export const defaultOutdir = 'cdktf.out';
export const defaultProbeNames = ['Ohio', 'Frankfurt'];

export interface SynthOptions {
  outdir: string;
  /** Only these environments (default: all of monitoring.environments). */
  environments?: string[];
}

export interface SynthesizedStack {
  environment: string;
  target: string;
  file: string;
  resources: Record<string, number>;
}

export function getDatasourceUid(environment: string): string {
  return `preflight-prom-${environment}`.slice(0, 40);
}

/** Builds the app for the configured environments and writes `<outdir>/stacks/<env>/cdk.tf.json`. */
export function synthMonitoringApp(config: PreflightConfig, options: SynthOptions): SynthesizedStack[] {
  const names = options.environments ?? config.monitoring.environments;
  if (names.length === 0) {
    throw new PreflightError('E_CONFIG', 'monitoring.environments is empty: nothing to synthesize', {
      hint: 'list the targets that get a monitoring stack under monitoring.environments in preflight.yaml',
    });
  }
  const app = new App({ outdir: options.outdir, skipValidation: false });
  for (const name of names) {
    const target = config.targets[name];
    if (!target) {
      throw new PreflightError('E_CONFIG', `monitoring.environments names "${name}", which is not a target`, {
        hint: `define targets.${name} (baseUrl, environment, grafana.url) in preflight.yaml, or remove it from monitoring.environments`,
      });
    }
    const profile = createProfileForTarget(target, config);
    const datasourceUid = getDatasourceUid(name);
    const apiBase = `${requireBaseUrl(name, target)}${target.platform.apiPrefix}`;
    const { health, ready } = target.platform.routes;
    new MonitoringStack(app, name, {
      environment: target.environment,
      grafanaUrl: target.grafana.url,
      prometheusUrl: target.grafana.prometheusUrl,
      datasourceUid,
      dashboards: buildDashboards(profile, { datasourceUid, uidPrefix: `preflight-${name}` }),
      ruleGroups: buildGrafanaRuleGroups(profile, datasourceUid),
      alertEmail: config.monitoring.alertEmail,
      healthUrl: `${apiBase}${health.path}`,
      readyUrl: `${apiBase}${ready.path}`,
      probeNames: target.grafana.probes ?? defaultProbeNames,
      production: target.production,
    });
  }
  app.synth();
  return names.map((name) => {
    const file = join(options.outdir, 'stacks', name, 'cdk.tf.json');
    return {
      environment: config.targets[name]!.environment,
      target: name,
      file,
      resources: countResources(file),
    };
  });
}

/** Resource counts by type in a synthesized stack. */
export function countResources(file: string): Record<string, number> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    resource?: Record<string, Record<string, unknown>>;
  };
  return Object.fromEntries(
    Object.entries(json.resource ?? {}).map(([type, byName]) => [type, Object.keys(byName).length]),
  );
}

/** The stacks already synthesized in an outdir. */
export function listSynthesizedStacks(outdir: string): string[] {
  const dir = join(outdir, 'stacks');
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'cdk.tf.json'))) : [];
}
