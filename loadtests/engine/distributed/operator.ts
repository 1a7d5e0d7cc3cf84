/**
 * k6-operator manifests: a `k6.io/v1alpha1` TestRun (spec.parallelism, spec.script.configMap, spec.arguments,
 * spec.runner.env) and a ConfigMap holding the bundled script, wired to Prometheus remote write with a testid.
 * Each runner pod tags its samples `runner=<pod name>` (downward API), so `load verdict` can combine runners.
 */
import { stringify } from 'yaml';
import { usageError } from '../../../src/core/errors.js';
import { defaultRemoteTrendStats } from '../outputs/remote-write.js';

export interface OperatorInput {
  /** The ES module bundle (with runner tags). */
  esm: string;
  scenarioName: string;
  parallelism: number;
  namespace: string;
  testid: string;
  remoteWriteUrl?: string;
  /** Non-secret __ENV values; secrets belong in a Kubernetes Secret referenced by the runner. */
  env?: Record<string, string>;
  image?: string;
}

export interface OperatorManifests {
  testRun: Record<string, unknown>;
  configMap: Record<string, unknown>;
  yaml: { testRun: string; configMap: string };
}

const toName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50) || 'scenario';

export function buildOperatorManifests(input: OperatorInput): OperatorManifests {
  if (!Number.isInteger(input.parallelism) || input.parallelism < 1) {
    throw usageError(`Expected \`--parallelism\` to be a positive integer, got \`${input.parallelism}\``);
  }
  const name = toName(`preflight-${input.scenarioName}-${input.testid}`);
  const file = `${toName(input.scenarioName)}.js`;
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${name}-script`,
      namespace: input.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'preflight', 'preflight/testid': toName(input.testid) },
    },
    data: { [file]: input.esm },
  };
  const args = ['--tag', `testid=${input.testid}`];
  if (input.remoteWriteUrl) args.push('--out', 'experimental-prometheus-rw');
  const env: Array<Record<string, unknown>> = [
    { name: 'PREFLIGHT_TESTID', value: input.testid },
    { name: 'PREFLIGHT_RUNNER', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'K6_NO_USAGE_REPORT', value: 'true' },
  ];
  if (input.remoteWriteUrl) {
    env.push(
      { name: 'K6_PROMETHEUS_RW_SERVER_URL', value: input.remoteWriteUrl },
      { name: 'K6_PROMETHEUS_RW_TREND_STATS', value: defaultRemoteTrendStats.join(',') },
      { name: 'K6_PROMETHEUS_RW_PUSH_INTERVAL', value: '5s' },
    );
  }
  for (const [k, v] of Object.entries(input.env ?? {})) env.push({ name: k, value: v });
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'preflight', 'preflight/testid': toName(input.testid) },
    },
    spec: {
      parallelism: input.parallelism,
      script: { configMap: { name: configMap.metadata.name, file } },
      arguments: args.join(' '),
      separate: false,
      cleanup: 'post',
      runner: { image: input.image ?? 'grafana/k6:latest', env },
    },
  };
  return { testRun, configMap, yaml: { testRun: stringify(testRun), configMap: stringify(configMap) } };
}
