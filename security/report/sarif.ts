/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per catalog entry with help text and security-severity,
 * results with relative URIs (the target named in the message) and partialFingerprints.
 */
import { redact } from '../../src/core/redact.js';
import type { Finding, Severity } from '../findings.js';
import { listRules } from '../rules.js';
import type { ScanReport } from './model.js';

const levels: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
const scores: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** "Access-Control" -> "AccessControl": SARIF rule names are PascalCase identifiers. */
function toRuleName(id: string): string {
  return id
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** A path under the base URL as a relative URI reference: no leading slash, illegal characters percent-encoded. */
export function toRelativeUri(path: string): string {
  const relative = path.replace(/^\/+/, '');
  if (relative === '') return '.';
  return relative
    .replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
    .replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c));
}

function formatHelpMarkdown(rule: ReturnType<typeof listRules>[number]): string {
  return [
    `**${rule.title}** (${rule.owaspApi}; ${rule.owasp2021}; ${rule.cwe})`,
    '',
    rule.description,
    '',
    '**Remediation (FastAPI/Starlette)**',
    '',
    rule.remediation,
  ].join('\n');
}

export function toSarif(report: ScanReport) {
  const rules = listRules();
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  const target = report.result.target;
  const result = (finding: Finding, suppressed?: { owner: string; reason: string }) => ({
    ruleId: finding.ruleId,
    ruleIndex: index.get(finding.ruleId) ?? 0,
    level: levels[finding.severity],
    message: {
      text: redact(
        `${finding.title}: ${finding.detail}. Target ${target.name} (${target.baseUrl}), ${finding.location.method} ${finding.location.path}.`,
      ),
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toRelativeUri(finding.location.path) },
          region: { startLine: 1 },
        },
        message: { text: `${finding.location.method} ${finding.location.path} on ${target.baseUrl}` },
      },
    ],
    partialFingerprints: { 'preflightFindingHash/v1': finding.fingerprint },
    properties: {
      severity: finding.severity,
      confidence: finding.confidence,
      'security-severity': scores[finding.severity],
      owaspApi: finding.owaspApi,
      owasp2021: finding.owasp2021,
      cwe: finding.cwe,
      evidence: { request: redact(finding.evidence.request), response: redact(finding.evidence.response) },
    },
    ...(suppressed
      ? {
          suppressions: [
            {
              kind: 'external' as const,
              status: 'accepted' as const,
              justification: redact(`${suppressed.reason} (owner: ${suppressed.owner})`),
            },
          ],
        }
      : {}),
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            semanticVersion: report.tool.version,
            rules: rules.map((rule) => ({
              id: rule.id,
              name: toRuleName(rule.id),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.description },
              help: {
                text: `${rule.description}\n\nRemediation (FastAPI/Starlette): ${rule.remediation}`,
                markdown: formatHelpMarkdown(rule),
              },
              defaultConfiguration: { level: levels[rule.severity] },
              properties: {
                tags: [
                  'security',
                  'preflight',
                  rule.category,
                  rule.cwe,
                  rule.owaspApi.split(' ')[0]!,
                  rule.owasp2021.split(' ')[0]!,
                ],
                precision: 'high',
                'security-severity': scores[rule.severity],
                problem: {
                  severity: levels[rule.severity] === 'note' ? 'recommendation' : levels[rule.severity],
                },
              },
            })),
          },
        },
        automationDetails: { id: `preflight-scan/${target.name}/` },
        invocations: [
          {
            executionSuccessful: report.result.probes.every((p) => p.status !== 'error'),
            startTimeUtc: report.result.startedAt,
            // checks that did not run are not results: GitHub shows them as tool notifications
            toolExecutionNotifications: [
              ...report.notRun.map((n) => ({
                level: 'note' as const,
                descriptor: { id: `not-run/${n.probe}/${n.check}` },
                message: { text: redact(`${n.probe}: ${n.check} not run: ${n.reason}`) },
              })),
              ...report.probeErrors.map((e) => ({
                level: 'error' as const,
                descriptor: { id: `probe-error/${e.probe}` },
                message: { text: redact(`probe ${e.probe} ended in error: ${e.message}`) },
              })),
              ...report.result.transientErrors.map((e) => ({
                level: 'warning' as const,
                descriptor: { id: 'transient-socket-error' },
                message: { text: redact(`transient socket error: ${e}`) },
              })),
            ],
            properties: {
              target: target.baseUrl,
              requests: report.result.requests,
              resent: report.result.resent,
            },
          },
        ],
        results: [
          ...report.active.map((f) => result(f)),
          ...report.suppressed.map((m) => result(m.finding, m.entry)),
        ],
      },
    ],
  };
}
