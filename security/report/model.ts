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
