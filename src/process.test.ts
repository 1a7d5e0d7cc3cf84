import { executionAsyncId } from 'node:async_hooks';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findTool, resolveTool, runTool, startTool, ToolError } from './process.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin');

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
