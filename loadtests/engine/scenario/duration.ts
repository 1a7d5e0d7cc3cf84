/** k6 duration strings ("1m30s", "500ms", "2h") to milliseconds. */
import { usageError } from '../../../src/core/errors.js';

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Parses a k6 duration; a bare number means seconds (k6 treats numbers in options as milliseconds, strings as Go durations). */
export function parseDuration(value: string | number | undefined, option: string): number {
  if (value === undefined) throw usageError(`Expected \`${option}\` to be a duration, got nothing`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw usageError(`Expected \`${option}\` to be a non-negative duration, got \`${value}\``);
    return value;
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|s|m|h)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== text) {
    throw usageError(
      `Expected \`${option}\` to be a duration like "30s", "1m30s" or "500ms", got \`${value}\``,
    );
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (unitMs[p[2] ?? 's'] ?? 1000), 0);
}

/** Formats milliseconds as a k6 duration string ("1m30s"). */
export function formatK6Duration(ms: number): string {
  if (ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
