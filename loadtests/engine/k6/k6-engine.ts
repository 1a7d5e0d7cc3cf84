/** The k6 engine: runs real k6 through the process helper, with the generated summary hook and exit-code mapping. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreflightError } from '../../../src/core/errors.js';
import { findTool, startTool, ToolError } from '../../../src/core/process.js';
import type { SeriesPoint } from '../metrics/timeseries.js';
import { defaultRemoteTrendStats } from '../outputs/remote-write.js';
import type { ErrorTally } from '../summary/no-success.js';
import { readK6JsonSeries } from './k6-json.js';
import { createK6ErrorCounter } from './k6-log.js';
import { type NormalizedData, normalizeK6Data } from './normalize.js';
import { reportedTrendStats } from './summary-data.js';

/** Finds k6: $K6_BIN, then PATH. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.K6_BIN) return findTool(env.K6_BIN);
  return findTool('k6');
}

export interface K6ArgsInput {
  scriptFile: string;
  /** User `-e KEY=VALUE` flags (target values go through the environment, not the command line). */
  envFlags?: Record<string, string>;
  vus?: number;
  duration?: string;
  iterations?: number;
  /** `--out` values; `prometheus-rw=URL` becomes k6's experimental-prometheus-rw output. */
  outputs?: string[];
  tags?: Record<string, string>;
  /** Also write k6's JSON sample stream here (for the per-second time series). */
  jsonOut?: string;
}

export interface K6Command {
  args: string[];
  /** Environment additions (K6_PROMETHEUS_RW_*). */
  env: Record<string, string>;
}

/** Builds the `k6 run` command line. */
export function buildK6Command(input: K6ArgsInput): K6Command {
  // k6's summary has no p(99) unless asked for (0.48 prints p99 as 0 otherwise)
  const args = ['run', '--no-color', '--summary-trend-stats', reportedTrendStats.join(',')];
  const env: Record<string, string> = {};
  if (input.vus !== undefined) args.push('--vus', String(input.vus));
  if (input.duration !== undefined) args.push('--duration', input.duration);
  if (input.iterations !== undefined) args.push('--iterations', String(input.iterations));
  for (const [k, v] of Object.entries(input.envFlags ?? {})) args.push('-e', `${k}=${v}`);
  for (const [k, v] of Object.entries(input.tags ?? {})) args.push('--tag', `${k}=${v}`);
  for (const out of input.outputs ?? []) {
    const [kind, ...rest] = out.split('=');
    if (kind === 'prometheus-rw' || kind === 'experimental-prometheus-rw') {
      args.push('--out', 'experimental-prometheus-rw');
      if (rest.length) env.K6_PROMETHEUS_RW_SERVER_URL = rest.join('=');
      env.K6_PROMETHEUS_RW_TREND_STATS = defaultRemoteTrendStats.join(',');
    } else args.push('--out', out);
  }
  if (input.jsonOut) args.push('--out', `json=${input.jsonOut}`);
  args.push(input.scriptFile);
  return { args, env };
}

export interface K6ExitMeaning {
  /** preflight's exit code. */
  exitCode: number;
  status: 'passed' | 'thresholds-failed' | 'aborted' | 'error';
  reason: string;
}

/** Maps k6's exit codes to preflight's (0 pass, 1 thresholds/checks failed, 2 script or config error). */
export function mapK6ExitCode(code: number): K6ExitMeaning {
  switch (code) {
    case 0:
      return { exitCode: 0, status: 'passed', reason: 'passed' };
    case 99:
      return { exitCode: 1, status: 'thresholds-failed', reason: 'thresholds failed' };
    case 109:
      return { exitCode: 1, status: 'aborted', reason: 'aborted: a threshold with abortOnFail failed' };
    case 108:
      return { exitCode: 1, status: 'aborted', reason: 'aborted by the script (test.abort)' };
    case 105:
      return { exitCode: 1, status: 'aborted', reason: 'interrupted by a signal' };
    case 104:
      return { exitCode: 2, status: 'error', reason: 'invalid k6 configuration' };
    case 107:
      return { exitCode: 2, status: 'error', reason: 'script exception' };
    case 100:
      return { exitCode: 2, status: 'error', reason: 'setup() timed out' };
    case 101:
      return { exitCode: 2, status: 'error', reason: 'teardown() timed out' };
    case 103:
      return { exitCode: 1, status: 'error', reason: 'k6 timed out' };
    default:
      return { exitCode: 1, status: 'error', reason: `k6 exited with code ${code}` };
  }
}

export interface K6RunInput extends Omit<K6ArgsInput, 'scriptFile'> {
  /** The ES module bundle with the summary hook. */
  esm: string;
  k6Path: string;
  /** Environment for __ENV (target values, secrets): passed through the process environment. */
  env: Record<string, string>;
  /** Where k6's progress output goes (stderr by default; stdout stays for results). */
  progressTo?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

export interface K6RunResult {
  k6ExitCode: number;
  meaning: K6ExitMeaning;
  data: NormalizedData | undefined;
  raw: unknown;
  command: string;
  durationMs: number;
  series: SeriesPoint[];
  /** Iteration exceptions k6 logged (source=stacktrace), and the first distinct messages with their counts. */
  iterationErrors: number;
  iterationErrorTally: ErrorTally[];
}

/** Runs k6 on the bundle and reads back the normalized summary the hook wrote. */
export async function runK6(input: K6RunInput): Promise<K6RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-k6-'));
  try {
    const scriptFile = join(dir, 'script.js');
    const summaryPath = join(dir, 'summary.json');
    const jsonOut = join(dir, 'samples.json');
    writeFileSync(scriptFile, input.esm);
    const command = buildK6Command({ ...input, scriptFile, jsonOut });
    const running = startTool(input.k6Path, command.args, {
      env: { ...input.env, ...command.env, PREFLIGHT_SUMMARY_PATH: summaryPath, K6_NO_USAGE_REPORT: 'true' },
      allowExitCodes: [99, 100, 101, 103, 104, 105, 107, 108, 109],
      stdoutTo: (input.progressTo ?? process.stderr) as NodeJS.WritableStream &
        import('node:stream').Writable,
      signal: input.signal,
    });
    running.stderr.pipe((input.progressTo ?? process.stderr) as import('node:stream').Writable, {
      end: false,
    });
    const errors = createK6ErrorCounter();
    running.stderr.on('data', (chunk: Buffer) => errors.write(chunk));
    let result: Awaited<typeof running.result>;
    try {
      result = await running.result;
    } catch (error) {
      if (error instanceof ToolError) {
        throw new PreflightError('E_TOOL_FAILED', error.message, {
          hint: 'see k6 output above',
          cause: error,
        });
      }
      throw error;
    }
    const logged = errors.end();
    const raw = existsSync(summaryPath)
      ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { data: unknown }).data
      : undefined;
    return {
      k6ExitCode: result.exitCode,
      meaning: mapK6ExitCode(result.exitCode),
      data: raw === undefined ? undefined : normalizeK6Data(raw),
      raw,
      command: running.command,
      durationMs: result.durationMs,
      series: await readK6JsonSeries(jsonOut),
      iterationErrors: logged.count,
      iterationErrorTally: logged.tally,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
