/**
 * Reads k6's log (its stderr) for iteration exceptions: k6 logs each one at level error with
 * `source=stacktrace`, and its end-of-test summary has no count of them.
 */
import { clipErrorLine, type ErrorTally, IterationErrorTally } from '../summary/no-success.js';

const goEscape = /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g;
const simpleEscapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** Undoes Go's %q quoting (logrus quotes a message that has spaces or quotes). */
function unquoteGo(text: string): string {
  return text.replace(goEscape, (_, e: string) =>
    e.length > 1 ? String.fromCodePoint(Number.parseInt(e.slice(1), 16)) : (simpleEscapes[e] ?? e),
  );
}

/** The message of an iteration exception in one k6 log line (logfmt or terminal form), else undefined. */
export function parseK6IterationError(line: string): string | undefined {
  if (!/\bsource=stacktrace\b/.test(line)) return undefined;
  let message: string | undefined;
  const logfmt = /\blevel=error\b.*?\bmsg=("(?:[^"\\]|\\.)*"|\S+)/.exec(line);
  if (logfmt) {
    const raw = logfmt[1]!;
    message = raw.startsWith('"') ? unquoteGo(raw.slice(1, -1)) : raw;
  } else {
    const terminal = /^ERRO\[\d+\]\s+(.*?)\s+(?:\w+=\S+\s*)*source=stacktrace/.exec(line);
    message = terminal?.[1];
  }
  if (message === undefined) return undefined;
  const first = message
    .split('\n', 1)[0]!
    .replace(/^Uncaught \(in promise\)\s*/, '')
    .replace(/\s+at \S+ \((?:file:|native\)|https?:).*$/, '')
    .trim();
  return clipErrorLine(first);
}

/** Counts iteration exceptions in k6's stderr as it streams. */
export function createK6ErrorCounter(): {
  write(chunk: Buffer | string): void;
  end(): { count: number; tally: ErrorTally[] };
} {
  const tally = new IterationErrorTally();
  let count = 0;
  let partial = '';
  const take = (line: string) => {
    const message = parseK6IterationError(line);
    if (message === undefined) return;
    count++;
    tally.add(message);
  };
  return {
    write(chunk) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) take(line);
    },
    end() {
      if (partial) take(partial);
      partial = '';
      return { count, tally: tally.list() };
    },
  };
}
