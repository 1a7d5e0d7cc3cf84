/** The doctor table: one row per check, a fix hint under every problem. */
import { formatTable, type Paint } from '../../core/output.js';
import type { CheckStatus, DoctorReport } from './checks.js';

export function formatDoctorReport(report: DoctorReport, paint: Paint): string {
  const colour: Record<CheckStatus, (s: string) => string> = {
    ok: paint.green,
    warn: paint.yellow,
    fail: paint.red,
    missing: paint.red,
  };
  const rows = report.checks.map((c) => [
    c.name,
    colour[c.status === 'missing' && !c.required ? 'warn' : c.status](c.status),
    c.version ?? '-',
    c.detail,
    c.hint ? `fix: ${c.hint}` : '',
  ]);
  const lines = [formatTable(['check', 'status', 'version', 'detail', 'fix'], rows), ''];
  const required = report.problems.filter((c) => c.required && c.status !== 'warn');
  const unsetSecrets = report.problems.filter((c) => c.id.startsWith('target-secret-'));
  if (report.ok && unsetSecrets.length > 0) {
    const variables = unsetSecrets.map((c) => c.id.slice('target-secret-'.length));
    lines.push(
      paint.yellow(
        `Tools ready, but target "${report.target?.name}" needs ${variables.length === 1 ? 'a secret variable that is' : 'secret variables that are'} not set: ${variables.join(', ')} (${report.problems.length} warnings above).`,
      ),
    );
  } else if (report.ok) {
    lines.push(
      paint.green(
        `Ready: every required tool is there${report.problems.length ? ` (${report.problems.length} warnings above)` : ''}.`,
      ),
    );
  } else if (report.exitCode === 4) {
    lines.push(paint.red(`Missing required tools: ${required.map((c) => c.name).join(', ')}.`));
  } else if (report.exitCode === 3) {
    lines.push(paint.red(`Target "${report.target?.name}" is unreachable.`));
  } else {
    lines.push(paint.red('The configuration is invalid.'));
  }
  return lines.join('\n');
}
