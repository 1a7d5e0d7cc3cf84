/** Worker-thread entry of the native engine: runs its segment of the scenarios and reports to the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { closeHttpAgent } from '../http/pool.js';
import { type RemoteWriteConfig, startRemoteWrite } from '../outputs/remote-write.js';
import type { K6Options, ScenarioPlan } from '../scenario/options.js';
import type { ErrorTally } from '../summary/no-success.js';
import type { GuardSpec } from '../target/host-guard.js';
import { now } from './clock.js';
import type { AbortInfo, GroupNode } from './context.js';
import { createEngine } from './engine-context.js';
import { runScenarios } from './run-scenarios.js';
import { compileScript } from './vu.js';
import { getInitialVus, VuPool } from './vu-pool.js';

export interface WorkerInput {
  index: number;
  count: number;
  code: string;
  scriptPath: string;
  options: K6Options;
  plans: ScenarioPlan[];
  env: Record<string, string>;
  guard: GuardSpec;
  globalTags: Record<string, string>;
  thresholdKeys: string[];
  setupJson: string | undefined;
  snapshotEveryMs: number;
  remoteWrite: Omit<RemoteWriteConfig, 'guard'> | undefined;
}

export type WorkerMessage =
  | { type: 'ready' }
  | {
      type: 'tick';
      buckets: unknown;
      vusActive: number;
      vusMax: number;
      snapshot?: unknown;
      iterationErrors: number;
    }
  | {
      type: 'done';
      buckets: unknown;
      snapshot: unknown;
      groups: unknown;
      iterationErrors: number;
      iterationErrorTally: ErrorTally[];
      aborted: AbortInfo | undefined;
    }
  | { type: 'error'; message: string; code?: string };

export function serializeGroups(node: GroupNode): unknown {
  return {
    name: node.name,
    path: node.path,
    checks: [...node.checks.values()],
    groups: [...node.groups.values()].map(serializeGroups),
  };
}

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  const port = parentPort!;
  const engine = createEngine({
    scriptPath: input.scriptPath,
    env: input.env,
    options: input.options,
    guard: input.guard,
    globalTags: input.globalTags,
    thresholdKeys: input.thresholdKeys,
    trackSeries: input.remoteWrite !== undefined,
  });
  engine.scenarioExecutors = Object.fromEntries(input.plans.map((p) => [p.name, p.executor]));
  port.on('message', (message: { type: string; info?: AbortInfo; startEpochMs?: number }) => {
    if (message.type === 'abort' && message.info) engine.abort(message.info);
    if (message.type === 'start') start(message.startEpochMs!);
  });
  const script = compileScript(input.code, input.scriptPath);
  const pool = new VuPool(engine, script, input.setupJson, (n) => (n - 1) * input.count + input.index + 1);
  pool.preallocate(input.plans.reduce((sum, p) => sum + getInitialVus(p), 0));
  const remote = input.remoteWrite
    ? startRemoteWrite(input.remoteWrite, () => engine.registry, {
        ...input.globalTags,
        worker: String(input.index),
      })
    : undefined;
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);

  async function start(startEpochMs: number) {
    engine.testStartMs = now() - (Date.now() - startEpochMs);
    engine.testStartEpochMs = startEpochMs;
    engine.series.setStart(engine.testStartMs);
    let lastSnapshot = 0;
    const ticker = setInterval(() => {
      const t = now();
      const withSnapshot = input.snapshotEveryMs > 0 && t - lastSnapshot >= input.snapshotEveryMs;
      if (withSnapshot) lastSnapshot = t;
      port.postMessage({
        type: 'tick',
        buckets: engine.series.drain(),
        vusActive: engine.vusActive,
        vusMax: engine.vusMax,
        snapshot: withSnapshot ? engine.registry.snapshot() : undefined,
        iterationErrors: engine.iterationErrors,
      } satisfies WorkerMessage);
    }, 1000);
    try {
      await runScenarios(engine, pool, input.plans);
    } finally {
      clearInterval(ticker);
    }
    await remote?.stop();
    await closeHttpAgent();
    port.postMessage({
      type: 'done',
      buckets: engine.series.drain(true),
      snapshot: engine.registry.snapshot(),
      groups: serializeGroups(engine.rootGroup),
      iterationErrors: engine.iterationErrors,
      iterationErrorTally: engine.iterationErrorTally.list(),
      aborted:
        engine.aborted?.kind === 'fatal' || engine.aborted?.kind === 'script'
          ? { ...engine.aborted, error: undefined }
          : undefined,
    } satisfies WorkerMessage);
  }
}

main().catch((error: Error & { code?: string }) => {
  parentPort?.postMessage({
    type: 'error',
    message: error?.message ?? String(error),
    code: error?.code,
  } satisfies WorkerMessage);
});
