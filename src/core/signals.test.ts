// The interrupt helper in a real subprocess (a tiny fixture command) receiving real signals.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { untilAborted } from './signals.js';

const fixture = fileURLToPath(new URL('./fixtures/interrupt.ts', import.meta.url));

interface Started {
  child: ChildProcess;
  output: () => string;
  waitFor: (text: string) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  // a failed test may leave its fixture running: never leave a process behind
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function start(mode: 'graceful' | 'stubborn'): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
    // tsx would leave its compile cache in the temp directory
    env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiters.filter((w) => stdout.includes(w.text))) w.resolve();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => stdout,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exit.then(() =>
          reject(new Error(`exited before "${text}"; stdout: ${stdout}; stderr: ${stderr}`)),
        );
      }),
    exit,
  };
}

describe('onInterrupt / withInterrupt (real subprocess, real signals)', () => {
  it('the first SIGINT aborts the work, the finally block runs and the command exits 130', async () => {
    const run = start('graceful');
    await run.waitFor('ready');
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(run.output()).toContain('first SIGINT: stopping');
    expect(run.output()).toContain('finally ran (SIGINT)');
    expect(code).toBe(130);
  }, 60_000);

  it('SIGTERM is handled the same way', async () => {
    const run = start('graceful');
    await run.waitFor('ready');
    run.child.kill('SIGTERM');
    const { code } = await run.exit;
    expect(run.output()).toContain('finally ran (SIGTERM)');
    expect(code).toBe(130);
  }, 60_000);

  it('a second SIGINT forces the clean-up and exits 130 while the work still hangs', async () => {
    const run = start('stubborn');
    await run.waitFor('ready');
    run.child.kill('SIGINT');
    await run.waitFor('first SIGINT: stopping');
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(run.output()).toContain('second SIGINT: forced clean-up done');
    expect(run.output()).not.toContain('finally ran');
    expect(code).toBe(130);
  }, 60_000);
});

describe('untilAborted', () => {
  it('rejects with the abort reason while the work goes on; settles like the work otherwise', async () => {
    const controller = new AbortController();
    const never = new Promise<number>(() => undefined);
    const raced = untilAborted(never, controller.signal);
    controller.abort(new Error('stop'));
    await expect(raced).rejects.toThrow('stop');
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });
});
