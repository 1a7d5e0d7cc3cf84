/** The `k6/execution` module of the native engine: vu, scenario, instance and test, read live from the run. */
import { now } from '../clock.js';
import type { EngineContext } from '../context.js';
import type { VuState } from '../vu-state.js';
import { esModule } from './es-module.js';
import { AbortedError } from './k6-http.js';

export function createExecutionModule(engine: EngineContext, vu: VuState) {
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
