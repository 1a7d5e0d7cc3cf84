/** What a scan produces: findings with severity, confidence, OWASP/CWE ids, evidence and a stable fingerprint. */
import { createHash } from 'node:crypto';
import { getRule, type RuleId } from './rules.js';

import { type Severity, severities } from './severity.js';

export { type Severity, severities };
export type Confidence = 'certain' | 'firm' | 'tentative';

export interface Evidence {
  /** Request line and the headers/body that matter, secrets redacted. */
  request: string;
  /** Status line and a response excerpt, secrets redacted. */
  response: string;
  /** One line on what the probe saw and why it counts. */
  note?: string;
}

export interface Finding {
  ruleId: RuleId;
  title: string;
  severity: Severity;
  confidence: Confidence;
  category: string;
  owaspApi: string;
  owasp2021: string;
  cwe: string;
  /** Where: method and path relative to the target's base URL. */
  location: { method: string; path: string };
  detail: string;
  evidence: Evidence;
  remediation: string;
  /** Stable across runs: rule + location + discriminator. */
  fingerprint: string;
}

export interface FindingInput {
  method: string;
  path: string;
  detail: string;
  evidence: Evidence;
  confidence?: Confidence;
  /** Overrides the rule's default severity (for example lower on non-production targets). */
  severity?: Severity;
  /** Distinguishes several findings of one rule at one location (a header name, an origin variant). */
  key?: string;
}

export function createFinding(ruleId: RuleId, input: FindingInput): Finding {
  const rule = getRule(ruleId);
  return {
    ruleId,
    title: rule.title,
    severity: input.severity ?? rule.severity,
    confidence: input.confidence ?? 'firm',
    category: rule.category,
    owaspApi: rule.owaspApi,
    owasp2021: rule.owasp2021,
    cwe: rule.cwe,
    location: { method: input.method.toUpperCase(), path: input.path },
    detail: input.detail,
    evidence: input.evidence,
    remediation: rule.remediation,
    fingerprint: getFingerprint(ruleId, input.method, input.path, input.key),
  };
}

export function getFingerprint(ruleId: string, method: string, path: string, key = ''): string {
  const normalizedPath = path.replace(/[0-9A-HJKMNP-TV-Z]{26}/g, '{id}');
  return createHash('sha256')
    .update(`${ruleId}|${method.toUpperCase()}|${normalizedPath}|${key}`)
    .digest('hex')
    .slice(0, 24);
}

export function getSeverityRank(severity: Severity): number {
  return severities.length - severities.indexOf(severity);
}

/** True when `severity` is at or above `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return getSeverityRank(severity) >= getSeverityRank(threshold);
}

export function isSeverity(value: string): value is Severity {
  return (severities as readonly string[]).includes(value);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      getSeverityRank(b.severity) - getSeverityRank(a.severity) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.location.path.localeCompare(b.location.path),
  );
}
