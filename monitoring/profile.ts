/** What the alert and dashboard definitions are rendered for: an environment, its SLOs, and render options. */
import type { PreflightConfig, TargetConfig } from '../src/core/config/schema.js';
import { defaultPlatform, type PlatformProfile } from '../src/core/platform/defaults.js';

export type Slo = TargetConfig['slo'];

export interface MonitoringProfile {
  /** Value of the `environment` label the scraper attaches. */
  environment: string;
  slo: Slo;
  /** Base URL of the runbooks; each alert links to `<base>#<alert name in lower case>`. */
  runbookBaseUrl: string;
  /** When true, every selector is narrowed to this environment (Grafana stacks); false for rule files shared by environments. */
  scopeToEnvironment: boolean;
  /** Replaces every alert's `for` (the local Prometheus integration uses a short one). */
  forOverride?: string;
  /** The target's platform profile: metric names and routes every query is built from. */
  platform: PlatformProfile;
}

export const defaultRunbookBaseUrl =
  'https://github.com/preflight-launch/preflight/blob/main/monitoring/README.md';

/** The SLOs the promtool unit tests in monitoring/tests/ are written for (the schema defaults). */
export const testSlo: Slo = {
  p95Ms: 300,
  p99Ms: 1000,
  latencyBucketSeconds: undefined,
  errorRate: 0.01,
  recoverySeconds: 10,
  connectionLossFailedRate: 0.01,
  availability: 0.995,
};

/** The profile the promtool unit tests are written for: the schema's SLOs and the spec's metric names. */
export function createTestProfile(overrides: Partial<MonitoringProfile> = {}): MonitoringProfile {
  return {
    environment: 'test',
    slo: testSlo,
    runbookBaseUrl: defaultRunbookBaseUrl,
    scopeToEnvironment: false,
    platform: defaultPlatform,
    ...overrides,
  };
}

/** The environment matcher every selector gets, or undefined when rules are shared by environments. */
export function getEnvironmentMatcher(profile: MonitoringProfile): string | undefined {
  return profile.scopeToEnvironment ? `environment="${profile.environment}"` : undefined;
}

/** The profile of a configured target: its environment label, SLOs and platform profile, selectors scoped to it. */
export function createProfileForTarget(
  target: Pick<TargetConfig, 'environment' | 'slo' | 'platform'>,
  config: Pick<PreflightConfig, 'monitoring'>,
  overrides: Partial<MonitoringProfile> = {},
): MonitoringProfile {
  return {
    environment: target.environment,
    slo: target.slo,
    runbookBaseUrl: config.monitoring.runbookBaseUrl,
    scopeToEnvironment: true,
    platform: target.platform,
    ...overrides,
  };
}
