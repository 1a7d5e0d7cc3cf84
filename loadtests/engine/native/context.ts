/** What the native runtime shares between VUs: metrics, checks tree, guard, environment, abort. */
import type { Metric, MetricRegistry, Tags } from '../metrics/registry.js';
import type { TimeSeriesRecorder } from '../metrics/timeseries.js';
import type { K6Options } from '../scenario/options.js';

export interface CheckCount {
  name: string;
  passes: number;
  fails: number;
}

export interface GroupNode {
  name: string;
  path: string;
  groups: Map<string, GroupNode>;
  checks: Map<string, CheckCount>;
}

export interface BuiltinMetrics {
  http_reqs: Metric;
  http_req_duration: Metric;
  http_req_blocked: Metric;
  http_req_connecting: Metric;
  http_req_tls_handshaking: Metric;
  http_req_sending: Metric;
  http_req_waiting: Metric;
  http_req_receiving: Metric;
  http_req_failed: Metric;
  iterations: Metric;
  iteration_duration: Metric;
  checks: Metric;
  data_sent: Metric;
  data_received: Metric;
  vus: Metric;
  vus_max: Metric;
  dropped_iterations: Metric;
  http_req_duration_corrected: Metric;
  iteration_duration_corrected: Metric;
  group_duration: Metric;
}

/** Why a run stopped before its scenarios ended. */
export interface AbortInfo {
  reason: string;
  kind: 'script' | 'thresholds' | 'interrupt' | 'fatal';
  error?: unknown;
}

export interface EngineContext {
  registry: MetricRegistry;
  metrics: BuiltinMetrics;
  series: TimeSeriesRecorder;
  rootGroup: GroupNode;
  env: Record<string, string>;
  options: K6Options;
  scriptPath: string;
  /** Throws E_TARGET_NOT_ALLOWED for hosts outside the target (or non-loopback without a target). */
  guardUrl(url: URL): void;
  /** Whether a VU may still request `url` after an abort (preflight's own journal; see GuardSpec.afterAbortUrls). */
  allowedAfterAbort(url: URL): boolean;
  abort(info: AbortInfo): void;
  aborted: AbortInfo | undefined;
  /** Resolves when the test is aborted (so sleeps and waits end early). */
  abortSignal: AbortSignal;
  /**
   * Calls `listener` once when the test is aborted; returns what unsubscribes it. Every VU's sleep and wait
   * registers here, so the signal itself carries one listener however many VUs run (no MaxListeners warning).
   */
  onAbort(listener: () => void): () => void;
  reportIterationError(error: unknown, vuId: number): void;
  testStartMs: number;
  /** Epoch ms of test start. */
  testStartEpochMs: number;
  vusActive: number;
  vusMax: number;
  /** Tags every sample carries (options.tags, runner/testid). */
  globalTags: Tags;
  scenarioExecutors?: Record<string, string>;
  scenarioProgress?: (name: string) => number;
}

export function createGroupNode(name: string, path: string): GroupNode {
  return { name, path, groups: new Map(), checks: new Map() };
}

export function getGroupNode(root: GroupNode, path: string): GroupNode {
  if (!path) return root;
  let node = root;
  let current = '';
  for (const name of path.split('::').slice(1)) {
    current = `${current}::${name}`;
    let child = node.groups.get(name);
    if (!child) {
      child = createGroupNode(name, current);
      node.groups.set(name, child);
    }
    node = child;
  }
  return node;
}

export function getBuiltinMetrics(registry: MetricRegistry): BuiltinMetrics {
  const get = (name: string) => registry.metrics.get(name)!;
  registry.define('group_duration', 'trend', 'time');
  return Object.fromEntries(
    [
      'http_reqs',
      'http_req_duration',
      'http_req_blocked',
      'http_req_connecting',
      'http_req_tls_handshaking',
      'http_req_sending',
      'http_req_waiting',
      'http_req_receiving',
      'http_req_failed',
      'iterations',
      'iteration_duration',
      'checks',
      'data_sent',
      'data_received',
      'vus',
      'vus_max',
      'dropped_iterations',
      'http_req_duration_corrected',
      'iteration_duration_corrected',
      'group_duration',
    ].map((n) => [n, get(n)]),
  ) as unknown as BuiltinMetrics;
}
