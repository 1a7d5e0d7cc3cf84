/** The state of one virtual user. */
export interface VuState {
  /** `__VU` and `exec.vu.idInTest` (1-based). */
  id: number;
  idInInstance: number;
  iterationInInstance: number;
  /** `__ITER`: iteration number within the current scenario. */
  iterationInScenario: number;
  scenarioName: string;
  scenarioIterationInTest: number;
  scenarioStartMs: number;
  groupPath: string;
  /** Tags added to every sample of this VU (scenario, group, options.tags, exec.vu.tags). */
  tags: Record<string, string>;
  /** User tags set through `exec.vu.tags`. */
  userTags: Record<string, string>;
  cookies: Map<string, Map<string, string>>;
  abortController: AbortController;
  /** For arrival-rate iterations: when the iteration should have started. */
  intendedStartMs: number | undefined;
  startDelayMs: number;
  /** Set when gracefulStop (or gracefulRampDown) ran out: the iteration must end now. */
  hardStopped: boolean;
  /** Aborts the request in flight, if any. */
  currentAbort: ((error?: Error) => void) | undefined;
}

export function createVuState(id: number, idInInstance: number): VuState {
  return {
    id,
    idInInstance,
    iterationInInstance: 0,
    iterationInScenario: 0,
    scenarioName: '',
    scenarioIterationInTest: 0,
    scenarioStartMs: 0,
    groupPath: '',
    tags: {},
    userTags: {},
    cookies: new Map(),
    abortController: new AbortController(),
    intendedStartMs: undefined,
    startDelayMs: 0,
    hardStopped: false,
    currentAbort: undefined,
  };
}
