import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleScenario } from '../scenario/bundle.js';
import { resolveScenarioPath } from '../scenario/find-scenario.js';
import { buildOperatorManifests } from './operator.js';

// The required fields and types of k6-operator's TestRun CRD (config/crd/bases/k6.io_testruns.yaml,
// grafana/k6-operator): spec requires parallelism (int32) and script; script.configMap requires name;
// runner.env items require name; valueFrom.fieldRef requires fieldPath.
const testRunCrdSubset = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'k6.io/v1alpha1' },
    kind: { const: 'TestRun' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } },
    },
    spec: {
      type: 'object',
      required: ['parallelism', 'script'],
      properties: {
        parallelism: { type: 'integer', minimum: 1, maximum: 2147483647 },
        arguments: { type: 'string' },
        separate: { type: 'boolean' },
        cleanup: { enum: ['post'] },
        script: {
          type: 'object',
          properties: {
            configMap: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' }, file: { type: 'string' } },
            },
          },
        },
        runner: {
          type: 'object',
          properties: {
            image: { type: 'string' },
            env: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  value: { type: 'string' },
                  valueFrom: {
                    type: 'object',
                    properties: {
                      fieldRef: {
                        type: 'object',
                        required: ['fieldPath'],
                        properties: { fieldPath: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

describe('k6-operator manifests', () => {
  it('write a TestRun that satisfies the CRD required fields and a ConfigMap holding the bundled script', async () => {
    const bundle = await bundleScenario(resolveScenarioPath('smoke'), {
      summaryHook: false,
      runnerTags: true,
    });
    const manifests = buildOperatorManifests({
      esm: bundle.esm,
      scenarioName: 'smoke',
      parallelism: 4,
      namespace: 'load',
      testid: 'rc1',
      remoteWriteUrl: 'http://prometheus:9090/api/v1/write',
    });
    const testRun = parse(manifests.yaml.testRun);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(testRunCrdSubset);
    expect(validate(testRun), JSON.stringify(validate.errors)).toBe(true);
    expect(testRun.spec.arguments).toBe('--tag testid=rc1 --out experimental-prometheus-rw');
    const env = Object.fromEntries(
      testRun.spec.runner.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toBe('http://prometheus:9090/api/v1/write');
    expect(env.K6_PROMETHEUS_RW_TREND_STATS).toContain('p(95)');
    const configMap = parse(manifests.yaml.configMap);
    expect(configMap.metadata.name).toBe(testRun.spec.script.configMap.name);
    const script = configMap.data[testRun.spec.script.configMap.file];
    expect(script).toContain('from "k6/http"');
    expect(script).toContain('__ENV.PREFLIGHT_RUNNER');
    // The script is a plain ES module: no require(), no TypeScript left.
    expect(script).not.toMatch(/\brequire\(/);
  });

  it('rejects a parallelism that is not a positive integer', () => {
    expect(() =>
      buildOperatorManifests({ esm: '', scenarioName: 's', parallelism: 0, namespace: 'd', testid: 't' }),
    ).toThrow(/parallelism/);
  });
});
