/**
 * The ONE interrupt helper: the first SIGINT/SIGTERM aborts an AbortController (work stops, `finally` blocks and
 * clean-up run, the command reports what it has); a second one forces the clean-up it is given and exits 130.
 */

/** The exit code of a run stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

export interface InterruptOptions {
  /** Signals to handle (default SIGINT and SIGTERM). */
  signals?: NodeJS.Signals[];
  /** Told about the first signal, after the controller was aborted (e.g. a warning "Ctrl-C again to force"). */
  onFirst?(signal: NodeJS.Signals): void;
  /** The forced clean-up on the second signal, awaited (its errors ignored) before the process exits 130. */
  onSecond?(signal: NodeJS.Signals): void | Promise<void>;
}

export interface Interrupt {
  /** The controller's signal. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** Removes the handlers (call it in `finally`); later signals get Node's default behaviour again. */
  dispose(): void;
}

/** Handles SIGINT/SIGTERM for one piece of work: the first aborts `controller`, the second exits 130. */
export function onInterrupt(controller: AbortController, options: InterruptOptions = {}): Interrupt {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  let received: NodeJS.Signals | undefined;
  let forcing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received === undefined) {
      received = signal;
      controller.abort(new DOMException(`interrupted by ${signal}`, 'AbortError'));
      options.onFirst?.(signal);
      return;
    }
    if (forcing) return;
    forcing = true;
    void Promise.resolve()
      .then(() => options.onSecond?.(signal))
      .catch(() => undefined)
      .finally(() => process.exit(INTERRUPTED_EXIT_CODE));
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const s of signals) process.off(s, handler);
    },
  };
}

/** Runs `work` with an abort signal that the first SIGINT/SIGTERM trips; handlers are removed when it settles. */
export async function withInterrupt<T>(
  work: (signal: AbortSignal, interrupt: Interrupt) => Promise<T>,
  options: InterruptOptions = {},
): Promise<T> {
  const interrupt = onInterrupt(new AbortController(), options);
  try {
    return await work(interrupt.signal, interrupt);
  } finally {
    interrupt.dispose();
  }
}

/** Settles like `promise`, or rejects with the signal's reason as soon as `signal` aborts (the work is not stopped). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves with the first of `signals` received (a foreground server's "Ctrl-C stops it"); `dispose` stops listening. */
export function waitForInterrupt(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): {
  received: Promise<NodeJS.Signals>;
  dispose(): void;
} {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const dispose = () => {
    for (const s of signals) process.off(s, handler);
  };
  const received = new Promise<NodeJS.Signals>((resolve) => {
    handler = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  for (const s of signals) process.on(s, handler);
  return { received, dispose };
}
