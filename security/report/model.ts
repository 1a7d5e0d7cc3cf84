/** What every report format renders: the scan result, the baseline outcome and the gate. */
import { readFileSync } from 'node:fs';
import type { BaselineMatch, BaselineOutcome } from '../baseline.js';
import { type Finding, isAtLeast, type Severity, severities } from '../findings.js';
import type { ScanResult } from '../scan.js';

export type FailOn = Severity | 'none';

export interface ScanReport {
  tool: { name: string; version: string };
  result: ScanResult;
  failOn: FailOn;
  active: Finding[];
  suppressed: BaselineMatch[];
  expired: BaselineMatch[];
  /** Active findings at or above failOn. */
  failing: Finding[];
  /** Checks that did not run, with the probe and the reason. */
  notRun: Array<{ probe: string; check: string; reason: string }>;
  /** Probes that ended in error (a test booking left active, a broken connection): the scan fails. */
  probeErrors: Array<{ probe: string; message: string }>;
}

export function getToolVersion(): string {
  try {
    return (
      (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          version?: string;
        }
      ).version ?? '0.0.0'
    );
  } catch {
    try {
      return (
        (
          JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
            version?: string;
          }
        ).version ?? '0.0.0'
      );
    } catch {
      return '0.0.0';
    }
  }
}

export function buildReport(result: ScanResult, outcome: BaselineOutcome, failOn: FailOn): ScanReport {
  return {
    tool: { name: 'preflight', version: getToolVersion() },
    result,
    failOn,
    active: outcome.active,
    suppressed: outcome.suppressed,
    expired: outcome.expired,
    failing: failOn === 'none' ? [] : outcome.active.filter((f) => isAtLeast(f.severity, failOn)),
    notRun: result.probes.flatMap((p) => (p.notRun ?? []).map((n) => ({ probe: p.name, ...n }))),
    probeErrors: result.probes
      .filter((p) => p.status === 'error')
      .map((p) => ({
        probe: p.name,
        message: p.notes.find((n) => /^(error|probe failed):/.test(n)) ?? p.notes[0] ?? 'failed',
      })),
  };
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

export function isExpiredMatch(report: ScanReport, finding: Finding): BaselineMatch | undefined {
  return report.expired.find((m) => m.finding === finding);
}
