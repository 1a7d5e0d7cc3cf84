/** The `k6` module of the native engine: sleep, check, group, fail, randomSeed (sleep and group return Promises the sync transform awaits). */
import { PreflightError } from '../../../../src/core/errors.js';
import type { Tags } from '../../metrics/registry.js';
import { now } from '../clock.js';
import { type EngineContext, getGroupNode } from '../context.js';
import type { VuState } from '../vu-state.js';
import { esModule } from './es-module.js';

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

export function createK6Module(engine: EngineContext, vu: VuState) {
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
    /** Runs `fn` in the group; an async callback (the sync transform makes one of a callback that requests) is awaited. */
    group(name: string, fn: () => unknown): unknown {
      if (name.includes('::')) throw new Error('group and check names may not contain "::"');
      const parent = vu.groupPath;
      const parentTags = vu.tags;
      vu.groupPath = `${parent}::${name}`;
      vu.tags = { ...parentTags, group: vu.groupPath };
      getGroupNode(engine.rootGroup, vu.groupPath);
      const started = now();
      const leave = () => {
        vu.groupPath = parent;
        vu.tags = parentTags;
      };
      const record = () => engine.registry.add(engine.metrics.group_duration, now() - started, vu.tags);
      let result: unknown;
      try {
        result = fn();
      } catch (error) {
        leave();
        throw error;
      }
      if (!isThenable(result)) {
        record();
        leave();
        return result;
      }
      return (result as Promise<unknown>).then(
        (value) => {
          record();
          leave();
          return value;
        },
        (error) => {
          leave();
          throw error;
        },
      );
    },
    fail(message?: string): never {
      throw new Error(message ?? 'fail() was called');
    },
    randomSeed(_seed: number) {},
  });
}
