/** A Markdown summary for pull-request comments. */

import { formatDuration } from '../../src/core/output.js';
import { redact } from '../../src/core/redact.js';
import { severities } from '../findings.js';
import { countBySeverity, type ScanReport } from './model.js';

const cell = (text: string) => redact(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(report: ScanReport): string {
  const { result } = report;
  const counts = countBySeverity(report.active);
  const verdict =
    report.failOn === 'none'
      ? 'Report only'
      : report.failing.length > 0
        ? `:x: **${report.failing.length} finding(s) at or above ${report.failOn}**`
        : `:white_check_mark: nothing at or above ${report.failOn}`;
  const lines = [
    `## preflight security scan: ${result.target.name}`,
    '',
    `${verdict} · ${result.requests} requests · ${formatDuration(result.durationMs)} · \`${result.target.baseUrl}\``,
    '',
    `| ${severities.join(' | ')} |`,
    `| ${severities.map(() => '---').join(' | ')} |`,
    `| ${severities.map((s) => counts[s]).join(' | ')} |`,
    '',
  ];
  if (report.active.length > 0) {
    lines.push('| severity | rule | where | detail | OWASP | CWE |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of report.active) {
      const expired = report.expired.some((m) => m.finding === f) ? ' (baseline entry expired)' : '';
      lines.push(
        `| ${f.severity} | ${cell(f.ruleId)} | \`${cell(`${f.location.method} ${f.location.path}`)}\` | ${cell(f.detail)}${expired} | ${cell(f.owaspApi.split(' ')[0]!)}, ${cell(f.owasp2021.split(' ')[0]!)} | ${f.cwe} |`,
      );
    }
    lines.push('', '<details><summary>Remediation</summary>', '');
    const seen = new Set<string>();
    for (const f of report.active) {
      if (seen.has(f.ruleId)) continue;
      seen.add(f.ruleId);
      lines.push(`- **${f.ruleId}** ${cell(f.title)}: ${cell(f.remediation)}`);
    }
    lines.push('', '</details>');
  } else {
    lines.push('No findings.');
  }
  if (report.probeErrors.length > 0) {
    lines.push('', `:x: **${report.probeErrors.length} probe(s) ended in error:**`, '');
    for (const e of report.probeErrors) lines.push(`- **${cell(e.probe)}**: ${cell(e.message)}`);
  }
  if (report.notRun.length > 0) {
    lines.push(
      '',
      `**Not run (${report.notRun.length})**: these checks found nothing because they could not run.`,
      '',
    );
    lines.push('| probe | check | why |', '| --- | --- | --- |');
    for (const n of report.notRun) lines.push(`| ${cell(n.probe)} | ${cell(n.check)} | ${cell(n.reason)} |`);
  }
  if (report.suppressed.length > 0) {
    lines.push('', `${report.suppressed.length} finding(s) accepted in the baseline:`, '');
    for (const m of report.suppressed)
      lines.push(
        `- ${cell(m.finding.ruleId)} \`${cell(m.finding.location.path)}\`: ${cell(m.entry.reason)} (${cell(m.entry.owner)}, until ${m.entry.expires})`,
      );
  }
  return `${lines.join('\n')}\n`;
}
