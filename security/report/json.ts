/** The JSON report: everything, secrets redacted. */
import { redactValue } from '../../src/core/redact.js';
import { countBySeverity, type ScanReport } from './model.js';

export function toJsonReport(report: ScanReport) {
  return redactValue({
    ok: report.failing.length === 0 && report.probeErrors.length === 0,
    tool: report.tool,
    target: report.result.target,
    startedAt: report.result.startedAt,
    durationMs: Math.round(report.result.durationMs),
    requests: report.result.requests,
    budget: report.result.budget,
    resent: report.result.resent,
    transientErrors: report.result.transientErrors,
    failOn: report.failOn,
    counts: countBySeverity(report.active),
    failing: report.failing.length,
    findings: report.active.map((f) => ({
      ...f,
      baselineExpired: report.expired.some((m) => m.finding === f),
    })),
    suppressed: report.suppressed.map((m) => ({ finding: m.finding, baseline: m.entry })),
    notRun: report.notRun,
    probeErrors: report.probeErrors,
    probes: report.result.probes.map((p) => ({ ...p, durationMs: Math.round(p.durationMs) })),
    openapiUrl: report.result.openapiUrl ?? null,
  });
}
