import { executionAsyncId } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaults as zxDefaults } from 'zx';
import { findTool, resolveTool, runTool, startTool, ToolError } from './process.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'bin');

describe('process helper (real subprocesses)', () => {
  it('leaves promise hooks off: zx runs without entering its AsyncLocalStorage (it slowed every later promise)', async () => {
    // with promise hooks on, a promise continuation runs under its own async id; without, under the outer one
    const continuationId = () => Promise.resolve().then(() => executionAsyncId());
    expect(await continuationId()).toBe(executionAsyncId());
    await runTool(process.execPath, ['-e', ''], { timeoutMs: 20_000 });
    expect(await continuationId()).toBe(executionAsyncId());
  });

  it('returns stdout, stderr, exit code and duration', async () => {
    const result = await runTool('sh', ['-c', 'echo out; echo err >&2']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.command).toMatch(/\/sh -c 'echo out; echo err >&2'$/);
  });

  it('raises ToolError with the command, exit code name and a redacted stderr tail', async () => {
    const error = await runTool(join(fixtures, 'exit-with'), ['99'], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    const toolError = error as ToolError;
    expect(toolError.code).toBe('E_TOOL_FAILED');
    expect(toolError.toolExitCode).toBe(99);
    expect(toolError.stderrTail).toContain('password=***');
    expect(toolError.message).not.toContain('hunter2');
  });

  it('names known exit codes (k6 99 = thresholds failed)', async () => {
    const error = (await runTool(join(fixtures, 'k6'), ['run', 'x.js']).catch(
      (e: unknown) => e,
    )) as ToolError;
    expect(error.exitName).toBe('thresholds failed');
    expect(error.message).toContain('exited with code 99 (thresholds failed)');
  });

  it('accepts allowed exit codes', async () => {
    const result = await runTool(join(fixtures, 'exit-with'), ['3'], { allowExitCodes: [3] });
    expect(result.exitCode).toBe(3);
  });

  it('reports a tool killed half way with its signal', async () => {
    const error = (await runTool(join(fixtures, 'die-halfway'), []).catch((e: unknown) => e)) as ToolError;
    expect(error.signal).toBe('SIGKILL');
    expect(error.message).toContain('was killed by SIGKILL');
  });

  it('times out long runs', async () => {
    const error = (await runTool('sleep', ['5'], { timeoutMs: 200 }).catch((e: unknown) => e)) as ToolError;
    expect(error.timedOut).toBe(true);
  });

  it('streams stdout to a writable without buffering it whole', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const running = startTool('sh', ['-c', 'head -c 200000 /dev/zero'], { stdoutTo: sink });
    await running.result;
    expect(Buffer.concat(chunks).length).toBe(200000);
  });

  it('can kill a running tool', async () => {
    const running = startTool('sleep', ['30']);
    setTimeout(() => void running.kill(), 100);
    const error = (await running.result.catch((e: unknown) => e)) as ToolError;
    expect(error.signal).toBe('SIGTERM');
  });

  it("leaves zx's global defaults alone: per-call options never pass through them", async () => {
    const writes: string[] = [];
    const store = zxDefaults as unknown as Record<string, unknown>;
    const saved = { cwd: store.cwd, env: store.env };
    for (const key of ['cwd', 'env'] as const) {
      let value = store[key];
      Object.defineProperty(store, key, {
        configurable: true,
        enumerable: true,
        get: () => value,
        set: (next: unknown) => {
          writes.push(key);
          value = next;
        },
      });
    }
    try {
      const result = await runTool('sh', ['-c', 'pwd; echo "$PF_PROBE"'], {
        cwd: '/',
        env: { PF_PROBE: 'per-call' },
      });
      expect(result.stdout).toBe('/\nper-call\n');
    } finally {
      for (const [key, value] of Object.entries(saved))
        Object.defineProperty(store, key, { configurable: true, enumerable: true, writable: true, value });
    }
    expect(writes).toEqual([]);
  });

  it('ends a tool with the killSignal option', async () => {
    const running = startTool('sleep', ['30'], { killSignal: 'SIGINT' });
    await running.kill();
    const error = (await running.result.catch((e: unknown) => e)) as ToolError;
    expect(error.signal).toBe('SIGINT');
    expect(error.timedOut).toBe(false);
  });

  it('sends SIGKILL forceKillAfterMs after a kill the tool ignores', async () => {
    const code = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')";
    const running = startTool(process.execPath, ['-e', code], { forceKillAfterMs: 200 });
    await new Promise<void>((resolve) => running.stdout.once('data', () => resolve()));
    await running.kill();
    const error = (await running.result.catch((e: unknown) => e)) as ToolError;
    expect(error.signal).toBe('SIGKILL');
  });

  it('ends tools when their shared AbortSignal aborts, and leaves no listener on it', async () => {
    const controller = new AbortController();
    const runs = Array.from({ length: 3 }, () => startTool('sleep', ['30'], { signal: controller.signal }));
    const done = await runTool('true', [], { signal: controller.signal });
    expect(done.exitCode).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(3);
    controller.abort();
    const errors = (await Promise.all(runs.map((r) => r.result.catch((e: unknown) => e)))) as ToolError[];
    expect(errors.map((e) => e.signal)).toEqual(Array(3).fill('SIGTERM'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a bad timeout up front, naming the option and the value', () => {
    expect(() => startTool('true', [], { timeoutMs: -1 })).toThrow(
      'Expected `timeoutMs` to be a non-negative integer, got `-1`',
    );
  });

  it('gives E_TOOL_MISSING with an install hint for a missing tool', () => {
    expect(findTool('definitely-not-a-tool-xyz')).toBeUndefined();
    try {
      resolveTool('/nonexistent/pg_dump');
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('E_TOOL_MISSING');
      expect((error as { hint: string }).hint).toContain('postgresql-client');
    }
  });
});
