/**
 * "No green on nothing": a run whose every iteration threw, or whose HTTP calls made no successful request,
 * fails whatever its thresholds say. Iteration errors are tallied by message so the report can show them.
 */
import { redact } from '../../../src/core/redact.js';
import type { NormalizedMetric } from '../k6/normalize.js';

export interface ErrorTally {
  message: string;
  count: number;
}

/** Distinct messages kept per run; later new messages still count in the total. */
const maxDistinctMessages = 10;

/** Counts iteration errors by their first line (in first-seen order). */
export class IterationErrorTally {
  readonly counts = new Map<string, number>();

  add(message: string, count = 1): void {
    const known = this.counts.get(message);
    if (known !== undefined) this.counts.set(message, known + count);
    else if (this.counts.size < maxDistinctMessages) this.counts.set(message, count);
  }

  merge(tallies: ErrorTally[]): void {
    for (const t of tallies) this.add(t.message, t.count);
  }

  list(): ErrorTally[] {
    return [...this.counts].map(([message, count]) => ({ message, count }));
  }
}

/** The line an iteration error is known by: `TypeError: Invalid URL`, without its stack, redacted. */
export function describeIterationError(error: unknown): string {
  let text: string;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    // errors thrown in a VU come from another realm: read name and message, not instanceof Error
    const { name, message } = error as { name?: unknown; message?: unknown };
    text = `${typeof name === 'string' && name ? name : 'Error'}: ${String(message)}`;
  } else text = String(error);
  return clipErrorLine(text.split('\n', 1)[0]!.trim());
}

/**
 * An iteration error as the terminal shows it: its message (up to four lines), then up to three frames of the
 * script. Frames of the engine (files under `engineRoots`) and of Node itself are left out, so an error the engine
 * raises for the script (`options.throw`, `res.json()`) points at the script's call, not at preflight's code.
 */
export function formatIterationError(error: unknown, engineRoots: string[]): string {
  const stack =
    typeof error === 'object' && error !== null && typeof (error as { stack?: unknown }).stack === 'string'
      ? (error as { stack: string }).stack
      : undefined;
  const lines = (stack ?? describeIterationError(error)).split('\n');
  const isFrame = (line: string) => /^\s+at /.test(line);
  const ours = (line: string) => engineRoots.some((root) => line.includes(root)) || /[( ]node:/.test(line);
  const message = lines.filter((line) => !isFrame(line)).slice(0, 4);
  const frames = lines.filter((line) => isFrame(line) && !ours(line)).slice(0, 3);
  return [...message, ...frames].join('\n');
}

/** An error's first line as reports show it: at most 300 characters, redacted. */
export function clipErrorLine(line: string): string {
  return redact(line.length > 300 ? `${line.slice(0, 300)}...` : line);
}

/** Whether the bundled script imports k6/http (so a run with no request did not do what it meant to). */
export function importsHttp(esm: string): boolean {
  return /\bfrom\s*["']k6\/http["']|\bimport\s*["']k6\/http["']/.test(esm);
}

/** Why nothing succeeded, or undefined when something did. */
export function findNothingSucceeded(input: {
  metrics: Record<string, NormalizedMetric>;
  iterationErrors: number;
  usesHttp: boolean;
}): string | undefined {
  const iterations = input.metrics.iterations?.values.count ?? 0;
  if (input.iterationErrors > 0 && input.iterationErrors >= iterations)
    return `every iteration threw (${input.iterationErrors} errors in ${iterations} iterations)`;
  const requests = input.metrics.http_reqs?.values.count ?? 0;
  if (input.usesHttp && requests === 0) return 'the script makes HTTP calls but no request was sent';
  const failed = input.metrics.http_req_failed?.values;
  if (requests > 0 && failed && (failed.rate ?? 0) >= 1)
    return `none of the ${requests} HTTP requests succeeded (http_req_failed 100%)`;
  return undefined;
}
