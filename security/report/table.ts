/** The terminal report: findings grouped by severity, then probe notes and the gate. */
import { formatDuration, formatTable, type Paint } from '../../src/core/output.js';
import { severities } from '../findings.js';
import { countBySeverity, isExpiredMatch, type ScanReport } from './model.js';

export function formatTableReport(report: ScanReport, paint: Paint): string {
  const { result } = report;
  const lines: string[] = [];
  lines.push(paint.bold(`preflight scan of ${result.target.name} (${result.target.baseUrl})`));
  lines.push(
    `${result.requests} requests in ${formatDuration(result.durationMs)}; probes: ${result.probes.map((p) => `${p.name}${p.status === 'ok' ? '' : ` (${p.status})`}`).join(', ')}`,
  );
  const colour = {
    critical: paint.red,
    high: paint.red,
    medium: paint.yellow,
    low: paint.dim,
    info: paint.dim,
  } as const;
  for (const severity of severities) {
    const group = report.active.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push('', colour[severity](paint.bold(`${severity.toUpperCase()} (${group.length})`)));
    lines.push(
      formatTable(
        ['rule', 'where', 'confidence', 'detail'],
        group.map((f) => [
          f.ruleId,
          `${f.location.method} ${f.location.path}`,
          f.confidence,
          `${f.detail.length > 90 ? `${f.detail.slice(0, 87)}...` : f.detail}${isExpiredMatch(report, f) ? ' [baseline entry expired]' : ''}`,
        ]),
      ),
    );
  }
  if (report.active.length === 0) lines.push('', paint.green('No findings.'));
  if (report.suppressed.length > 0)
    lines.push('', paint.dim(`${report.suppressed.length} finding(s) accepted by the baseline`));
  if (report.notRun.length > 0) {
    lines.push('', paint.bold(`Not run (${report.notRun.length}):`));
    lines.push(
      formatTable(
        ['probe', 'check', 'why'],
        report.notRun.map((n) => [n.probe, n.check, n.reason]),
      ),
    );
  }
  const notes = result.probes.flatMap((p) => p.notes.map((n) => `${p.name}: ${n}`));
  if (notes.length > 0) lines.push('', paint.dim('Notes:'), ...notes.map((n) => paint.dim(`  ${n}`)));
  if (result.transientErrors.length > 0)
    lines.push(
      '',
      paint.dim(`Transient socket errors (${result.resent} request(s) resent):`),
      ...result.transientErrors.map((e) => paint.dim(`  ${e}`)),
    );
  for (const error of report.probeErrors)
    lines.push('', paint.red(`ERROR in probe ${error.probe}: ${error.message}`));
  const counts = countBySeverity(report.active);
  const summary = severities.map((s) => `${counts[s]} ${s}`).join(', ');
  lines.push('');
  if (report.probeErrors.length > 0)
    lines.push(paint.red(`FAIL: ${report.probeErrors.length} probe(s) ended in error (${summary}).`));
  else if (report.failOn === 'none') lines.push(`Findings: ${summary}.`);
  else if (report.failing.length > 0)
    lines.push(
      paint.red(`FAIL: ${report.failing.length} finding(s) at or above ${report.failOn} (${summary}).`),
    );
  else lines.push(paint.green(`PASS: nothing at or above ${report.failOn} (${summary}).`));
  return lines.join('\n');
}
