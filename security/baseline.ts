/** The baseline (security/baseline.json): accepted findings with owner, reason and expiry; expired entries count again. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PreflightError } from '../src/core/errors.js';
import type { Finding } from './findings.js';

export interface BaselineEntry {
  /** Matches one finding; when absent, `id` matches every finding of that rule. */
  fingerprint?: string;
  /** Rule id, for example "EXPOSED-API-DOCS". */
  id?: string;
  owner: string;
  reason: string;
  /** YYYY-MM-DD; the entry stops suppressing at the end of that day (UTC). */
  expires: string;
  /** Human hint of what was accepted (written by --update-baseline). */
  title?: string;
  location?: string;
}

export interface Baseline {
  version: 1;
  entries: BaselineEntry[];
}

export interface BaselineMatch {
  finding: Finding;
  entry: BaselineEntry;
}

export interface BaselineOutcome {
  /** Findings that count: not in the baseline, or matched only by an expired entry. */
  active: Finding[];
  suppressed: BaselineMatch[];
  /** Findings whose baseline entry has expired (they are in `active` too). */
  expired: BaselineMatch[];
}

export const DEFAULT_BASELINE_PATH = 'security/baseline.json';

export function readBaseline(path: string): Baseline {
  if (!existsSync(path)) return { version: 1, entries: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PreflightError('E_CONFIG', `Baseline ${path} is not valid JSON: ${(error as Error).message}`, {
      hint: 'fix the file or delete it and run `preflight scan --update-baseline`',
    });
  }
  return validateBaseline(raw, path);
}

export function validateBaseline(raw: unknown, path = 'baseline'): Baseline {
  const entries = (raw as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) {
    throw new PreflightError('E_CONFIG', `${path}: expected {"version": 1, "entries": [...]}`, {
      hint: 'see security/README.md for the baseline format',
    });
  }
  entries.forEach((entry: Partial<BaselineEntry>, index) => {
    const where = `${path}: entries[${index}]`;
    if (!entry || typeof entry !== 'object')
      throw new PreflightError('E_CONFIG', `${where} is not an object`);
    if (!entry.fingerprint && !entry.id)
      throw new PreflightError('E_CONFIG', `${where} needs a fingerprint or an id`);
    for (const key of ['owner', 'reason'] as const) {
      if (typeof entry[key] !== 'string' || entry[key]!.trim() === '') {
        throw new PreflightError(
          'E_CONFIG',
          `${where}.${key} must be a non-empty string, got \`${JSON.stringify(entry[key])}\``,
          {
            hint: 'every accepted finding needs an owner and a reason',
          },
        );
      }
    }
    if (
      typeof entry.expires !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(entry.expires) ||
      Number.isNaN(Date.parse(entry.expires))
    ) {
      throw new PreflightError(
        'E_CONFIG',
        `${where}.expires must be a date YYYY-MM-DD, got \`${JSON.stringify(entry.expires)}\``,
      );
    }
  });
  return { version: 1, entries: entries as BaselineEntry[] };
}

export function isExpired(entry: BaselineEntry, now = new Date()): boolean {
  return Date.parse(`${entry.expires}T23:59:59.999Z`) < now.getTime();
}

function matches(entry: BaselineEntry, finding: Finding): boolean {
  if (entry.fingerprint) return entry.fingerprint === finding.fingerprint;
  return entry.id === finding.ruleId;
}

export function applyBaseline(findings: Finding[], baseline: Baseline, now = new Date()): BaselineOutcome {
  const outcome: BaselineOutcome = { active: [], suppressed: [], expired: [] };
  for (const finding of findings) {
    const entries = baseline.entries.filter((entry) => matches(entry, finding));
    const live = entries.find((entry) => !isExpired(entry, now));
    if (live) {
      outcome.suppressed.push({ finding, entry: live });
      continue;
    }
    outcome.active.push(finding);
    const expired = entries[0];
    if (expired) outcome.expired.push({ finding, entry: expired });
  }
  return outcome;
}

/** Keeps live entries, renews nothing silently, and adds an entry for every finding that is not covered yet. */
export function updateBaseline(
  baseline: Baseline,
  findings: Finding[],
  options: { owner: string; days: number; now?: Date },
): Baseline {
  const now = options.now ?? new Date();
  const expires = new Date(now.getTime() + options.days * 86_400_000).toISOString().slice(0, 10);
  const kept = baseline.entries.filter((entry) => !isExpired(entry, now));
  const added: BaselineEntry[] = [];
  for (const finding of findings) {
    if (
      kept.some((entry) => matches(entry, finding)) ||
      added.some((entry) => entry.fingerprint === finding.fingerprint)
    )
      continue;
    added.push({
      fingerprint: finding.fingerprint,
      id: finding.ruleId,
      title: finding.title,
      location: `${finding.location.method} ${finding.location.path}`,
      owner: options.owner,
      reason: 'accepted with --update-baseline: replace with the real reason or fix it',
      expires,
    });
  }
  return { version: 1, entries: [...kept, ...added] };
}

export function writeBaseline(path: string, baseline: Baseline): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
