/** One VU of the native engine: its own JS context (module state per VU, as in k6) with k6's modules (modules/). */
import { dirname } from 'node:path';
import vm from 'node:vm';
import { PreflightError } from '../../../src/core/errors.js';
import { redact } from '../../../src/core/redact.js';
import type { EngineContext } from './context.js';
import { createK6Modules } from './modules/k6-modules.js';
import { createOpen } from './modules/k6-open.js';
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

const binaryConstructors = {
  ArrayBuffer,
  DataView,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

export function compileScript(code: string, filename: string): vm.Script {
  return new vm.Script(`(function (require, module, exports) {${code}\n})`, { filename });
}

/** Creates a VU: a fresh context, the shimmed modules, and the script evaluated in it (the init context). */
export function createVu(engine: EngineContext, script: vm.Script, id: number, idInInstance: number): Vu {
  const state = createVuState(id, idInInstance);
  state.tags = { ...engine.globalTags };
  const modules = createK6Modules(engine, state);
  const scriptDir = dirname(engine.scriptPath);
  let inInit = true;
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
    // the modules hand out this realm's binary data (bodies, open(..., 'b'), hashes): `instanceof ArrayBuffer` must hold
    ...binaryConstructors,
    __ENV: engine.env,
    open: createOpen(scriptDir, () => inInit),
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
  inInit = false;
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
