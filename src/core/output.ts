/** Terminal and JSON output: progress goes to stderr, results to stdout, secrets redacted everywhere. */
import { redact, redactValue } from './redact.js';

export interface Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  /** Progress and notices (stderr; silent with --json unless verbose). */
  info(message: string): void;
  /** Warnings (stderr, always). */
  warn(message: string): void;
  /** Debug detail (stderr, with --verbose). */
  debug(message: string): void;
  /** Human-readable result text (stdout; suppressed with --json). */
  print(text: string): void;
  /** The machine-readable result (stdout, only with --json). */
  result(value: unknown): void;
  /**
   * A generated artifact (GitHub workflow, Alloy config, JSON Schema, manifests) on stdout, RAW: not redacted, since
   * templates hold variable names (`${{ secrets.X }}`) that redaction would mangle, never secret values. Without
   * --json the text (a final newline added if missing); with --json only `options.json` (raw JSON), else nothing:
   * stdout then carries the JSON result only.
   */
  artifact(text: string, options?: { json?: unknown }): void;
  paint: Paint;
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const ansi = (code: number, off: number) => (s: string) => `\u001b[${code}m${s}\u001b[${off}m`;

export function createPaint(enabled: boolean): Paint {
  const id = (s: string) => s;
  return enabled
    ? { red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), bold: ansi(1, 22), dim: ansi(2, 22) }
    : { red: id, green: id, yellow: id, bold: id, dim: id };
}

export function shouldUseColor(
  requested: boolean | undefined,
  stream: NodeJS.WritableStream = process.stdout,
): boolean {
  if (requested === false || process.env.NO_COLOR !== undefined) return false;
  if (process.env.FORCE_COLOR) return true;
  return requested === true && Boolean((stream as NodeJS.WriteStream).isTTY);
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const json = options.json ?? false;
  const verbose = options.verbose ?? false;
  const color = options.color ?? false;
  return {
    json,
    verbose,
    color,
    info(message) {
      if (!json || verbose) stderr.write(`${redact(message)}\n`);
    },
    warn(message) {
      stderr.write(`${redact(message)}\n`);
    },
    debug(message) {
      if (verbose) stderr.write(`${redact(message)}\n`);
    },
    print(text) {
      if (!json) stdout.write(`${redact(text)}\n`);
    },
    result(value) {
      if (json) stdout.write(`${JSON.stringify(redactValue(value), null, 2)}\n`);
    },
    artifact(text, options) {
      if (!json) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      else if (options?.json !== undefined) stdout.write(`${JSON.stringify(options.json, null, 2)}\n`);
    },
    paint: createPaint(color),
  };
}

const ansiPattern = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ansiPattern, '').length;

/** Renders rows as an aligned text table. */
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Formats milliseconds for humans. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
