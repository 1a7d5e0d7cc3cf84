/** One VU of the native engine: its own JS context (module state per VU, as in k6) with k6's modules shimmed. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import vm from 'node:vm';
import { PreflightError } from '../../../src/core/errors.js';
import { redact } from '../../../src/core/redact.js';
import type { Metric, Tags } from '../metrics/registry.js';
import type { MetricType } from '../metrics/sinks.js';
import { now } from './clock.js';
import { type EngineContext, getGroupNode } from './context.js';
import { AbortedError, createHttpModule } from './modules/k6-http.js';
import { createVuState, type VuState } from './vu-state.js';

export interface ScriptExports {
  default?: (data: unknown) => unknown;
  options?: Record<string, unknown>;
  setup?: () => unknown;
  teardown?: (data: unknown) => unknown;
  handleSummary?: (data: unknown) => unknown;
  [name: string]: unknown;
}

export interface Vu {
  state: VuState;
  exports: ScriptExports;
  /** The setup data as this VU sees it (a copy per VU, as in k6). */
  data: unknown;
}

/** Modules the native engine provides; anything else under `k6/` is unsupported. */
export const supportedModules = [
  'k6',
  'k6/http',
  'k6/metrics',
  'k6/execution',
  'k6/data',
  'k6/encoding',
  'k6/timers',
];

export function compileScript(code: string, filename: string): vm.Script {
  return new vm.Script(`(function (require, module, exports) {${code}\n})`, { filename });
}

function esModule<T extends Record<string, unknown>>(members: T): T & { default: T; __esModule: true } {
  const module = members as T & { default: T; __esModule: true };
  module.default = members;
  module.__esModule = true;
  return module;
}

function createMetricsModule(engine: EngineContext, vu: VuState) {
  const make = (type: MetricType) =>
    class {
      readonly name: string;
      private readonly metric: Metric;
      constructor(name: string, isTime = false) {
        this.name = name;
        this.metric = engine.registry.define(name, type, isTime ? 'time' : 'default');
      }
      add(value: number | boolean, tags?: Tags): void {
        const numeric = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
        if (!Number.isFinite(numeric)) return;
        engine.registry.add(this.metric, numeric, tags ? { ...vu.tags, ...tags } : vu.tags);
      }
    };
  return esModule({
    Counter: make('counter'),
    Gauge: make('gauge'),
    Rate: make('rate'),
    Trend: make('trend'),
  });
}

function sleepFor(engine: EngineContext, vu: VuState, seconds: number): Promise<void> {
  return new Promise((done) => {
    if (engine.aborted || vu.hardStopped) return done();
    const signal = vu.abortController.signal;
    const timer = setTimeout(finish, Math.max(0, Number(seconds) * 1000));
    const unsubscribe = engine.onAbort(finish);
    function finish() {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

function createK6Module(engine: EngineContext, vu: VuState) {
  const isThenable = (v: unknown) => typeof (v as { then?: unknown })?.then === 'function';
  return esModule({
    sleep: (seconds: number) => sleepFor(engine, vu, seconds),
    check(value: unknown, sets: Record<string, ((v: unknown) => unknown) | unknown>, tags?: Tags): boolean {
      let all = true;
      const node = getGroupNode(engine.rootGroup, vu.groupPath);
      for (const [name, fn] of Object.entries(sets ?? {})) {
        let ok: unknown;
        if (typeof fn === 'function') {
          ok = fn(value);
          if (isThenable(ok)) {
            throw new PreflightError('E_UNSUPPORTED_API', `check "${name}" returned a Promise`, {
              hint: 'await the value first, then pass synchronous check functions',
            });
          }
        } else ok = fn;
        const passed = Boolean(ok);
        all &&= passed;
        let count = node.checks.get(name);
        if (!count) {
          count = { name, passes: 0, fails: 0 };
          node.checks.set(name, count);
        }
        if (passed) count.passes++;
        else count.fails++;
        engine.registry.add(engine.metrics.checks, passed ? 1 : 0, { ...vu.tags, ...tags, check: name });
      }
      return all;
    },
    group(name: string, fn: () => unknown): unknown {
      if (name.includes('::')) throw new Error('group and check names may not contain "::"');
      const parent = vu.groupPath;
      const parentTags = vu.tags;
      vu.groupPath = `${parent}::${name}`;
      vu.tags = { ...parentTags, group: vu.groupPath };
      getGroupNode(engine.rootGroup, vu.groupPath);
      const started = now();
      try {
        const result = fn();
        if (isThenable(result)) {
          throw new PreflightError('E_UNSUPPORTED_API', `group("${name}") was given an async callback`, {
            hint: 'k6 groups take synchronous callbacks; split the group or drop it around awaited code',
          });
        }
        engine.registry.add(engine.metrics.group_duration, now() - started, vu.tags);
        return result;
      } finally {
        vu.groupPath = parent;
        vu.tags = parentTags;
      }
    },
    fail(message?: string): never {
      throw new Error(message ?? 'fail() was called');
    },
    randomSeed(_seed: number) {},
  });
}

function createExecutionModule(engine: EngineContext, vu: VuState) {
  const scenario = {
    get name() {
      return vu.scenarioName;
    },
    get executor() {
      return engine.scenarioExecutors?.[vu.scenarioName] ?? '';
    },
    get startTime() {
      return engine.testStartEpochMs + (vu.scenarioStartMs - engine.testStartMs);
    },
    get progress() {
      return engine.scenarioProgress?.(vu.scenarioName) ?? 0;
    },
    get iterationInInstance() {
      return vu.scenarioIterationInTest;
    },
    get iterationInTest() {
      return vu.scenarioIterationInTest;
    },
  };
  const tagsProxy = new Proxy(vu.userTags, {
    set(target, key, value) {
      target[String(key)] = String(value);
      vu.tags = { ...vu.tags, [String(key)]: String(value) };
      return true;
    },
  });
  return esModule({
    vu: {
      get idInInstance() {
        return vu.idInInstance;
      },
      get idInTest() {
        return vu.id;
      },
      get iterationInInstance() {
        return vu.iterationInInstance;
      },
      get iterationInScenario() {
        return vu.iterationInScenario;
      },
      get tags() {
        return tagsProxy;
      },
      metrics: {
        get tags() {
          return tagsProxy;
        },
      },
    },
    scenario,
    instance: {
      get vusActive() {
        return engine.vusActive;
      },
      get vusInitialized() {
        return engine.vusMax;
      },
      get currentTestRunDuration() {
        return now() - engine.testStartMs;
      },
      get iterationsCompleted() {
        return (engine.metrics.iterations.sink as { count: number }).count;
      },
      get iterationsInterrupted() {
        return 0;
      },
    },
    test: {
      abort(reason?: string): never {
        engine.abort({ reason: reason ?? 'test.abort() was called', kind: 'script' });
        throw new AbortedError();
      },
      get options() {
        return engine.options;
      },
    },
  });
}

/** Creates a VU: a fresh context, the shimmed modules, and the script evaluated in it (the init context). */
export function createVu(engine: EngineContext, script: vm.Script, id: number, idInInstance: number): Vu {
  const state = createVuState(id, idInInstance);
  state.tags = { ...engine.globalTags };
  const modules: Record<string, unknown> = {
    k6: createK6Module(engine, state),
    'k6/http': createHttpModule(engine, state),
    'k6/metrics': createMetricsModule(engine, state),
    'k6/execution': createExecutionModule(engine, state),
    'k6/data': esModule({
      SharedArray: function SharedArray(_name: string, factory: () => unknown[]) {
        const data = factory();
        if (!Array.isArray(data)) throw new Error('SharedArray factory must return an array');
        return Object.freeze(data);
      },
    }),
    'k6/encoding': esModule({
      b64encode: (input: string | ArrayBuffer, encoding = 'std') =>
        Buffer.from(typeof input === 'string' ? input : new Uint8Array(input)).toString(
          encoding.startsWith('raw') || encoding.includes('url') ? 'base64url' : 'base64',
        ),
      b64decode: (input: string, _encoding = 'std', format?: string) => {
        const buffer = Buffer.from(input, 'base64');
        return format === 's'
          ? buffer.toString('utf8')
          : buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
      },
    }),
    'k6/timers': esModule({ setTimeout, clearTimeout, setInterval, clearInterval }),
  };
  const scriptDir = dirname(engine.scriptPath);
  const sandbox: Record<string, unknown> = {
    console: createConsole(state),
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
    crypto: globalThis.crypto,
    __ENV: engine.env,
    open(path: string, mode?: string) {
      const content = readFileSync(resolve(scriptDir, path));
      return mode === 'b'
        ? content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength)
        : content.toString('utf8');
    },
  };
  Object.defineProperty(sandbox, '__VU', { get: () => state.id, enumerable: true });
  Object.defineProperty(sandbox, '__ITER', { get: () => state.iterationInScenario, enumerable: true });
  const context = vm.createContext(sandbox, { name: `VU ${id}` });
  const module = { exports: {} as ScriptExports };
  const require = (name: string) => {
    if (name in modules) return modules[name];
    throw new PreflightError('E_UNSUPPORTED_API', `The native engine does not provide module "${name}"`, {
      hint: 'run the scenario with --engine k6',
    });
  };
  const factory = script.runInContext(context) as (
    r: typeof require,
    m: typeof module,
    e: ScriptExports,
  ) => void;
  factory(require, module, module.exports);
  return { state, exports: module.exports, data: undefined };
}

function createConsole(vu: VuState) {
  const write =
    (level: string) =>
    (...args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : safeStringify(a))).join(' ');
      process.stderr.write(`${redact(`[VU ${vu.id}] ${level}: ${text}`)}\n`);
    };
  return {
    log: write('INFO'),
    info: write('INFO'),
    warn: write('WARN'),
    error: write('ERROR'),
    debug: write('DEBUG'),
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
