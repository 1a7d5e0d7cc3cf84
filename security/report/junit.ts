/**
 * JUnit XML: one suite per probe, one test case per finding (failure at or above --fail-on), a passing case for clean
 * probes, a skipped case per check that did not run (with the reason) and per baselined finding.
 */
import { redact } from '../../src/core/redact.js';
import { isAtLeast } from '../findings.js';
import type { ScanReport } from './model.js';

export function escapeXml(text: string): string {
  return (
    redact(text)
      // characters XML 1.0 cannot carry at all
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function toJunit(report: ScanReport): string {
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  let totalSkipped = 0;
  for (const probe of report.result.probes) {
    const cases: string[] = [];
    let failures = 0;
    let skipped = 0;
    for (const finding of report.active.filter((f) => f.category === probe.name)) {
      const name = escapeXml(`${finding.ruleId} ${finding.location.method} ${finding.location.path}`);
      const body = escapeXml(
        [
          finding.detail,
          '',
          'Request:',
          finding.evidence.request,
          '',
          'Response:',
          finding.evidence.response,
          '',
          `Remediation: ${finding.remediation}`,
        ].join('\n'),
      );
      const gated = report.failOn !== 'none' && isAtLeast(finding.severity, report.failOn);
      if (gated) {
        failures++;
        cases.push(
          `    <testcase classname="preflight.scan.${probe.name}" name="${name}" time="0"><failure message="${escapeXml(`${finding.severity}: ${finding.title}`)}" type="${finding.severity}">${body}</failure></testcase>`,
        );
      } else {
        cases.push(
          `    <testcase classname="preflight.scan.${probe.name}" name="${name}" time="0"><system-out>${escapeXml(`${finding.severity} (below --fail-on ${report.failOn}): `)}${body}</system-out></testcase>`,
        );
      }
    }
    for (const match of report.suppressed.filter((m) => m.finding.category === probe.name)) {
      skipped++;
      const name = escapeXml(
        `${match.finding.ruleId} ${match.finding.location.method} ${match.finding.location.path}`,
      );
      cases.push(
        `    <testcase classname="preflight.scan.${probe.name}" name="${name}" time="0"><skipped message="${escapeXml(`accepted in baseline until ${match.entry.expires} by ${match.entry.owner}: ${match.entry.reason}`)}"/></testcase>`,
      );
    }
    const clean = cases.length === 0;
    for (const item of probe.notRun ?? []) {
      skipped++;
      cases.push(
        `    <testcase classname="preflight.scan.${probe.name}" name="${escapeXml(`${item.check}: not run`)}" time="0"><skipped message="${escapeXml(`not run: ${item.reason}`)}"/></testcase>`,
      );
    }
    if (probe.status !== 'ok') {
      failures++;
      cases.push(
        `    <testcase classname="preflight.scan.${probe.name}" name="${probe.name} probe completed" time="${seconds(probe.durationMs)}"><failure message="${escapeXml(`probe ${probe.status}`)}" type="probe-${probe.status}">${escapeXml(probe.notes.join('\n'))}</failure></testcase>`,
      );
    } else if (clean) {
      cases.push(
        `    <testcase classname="preflight.scan.${probe.name}" name="${probe.name}: no findings" time="${seconds(probe.durationMs)}"/>`,
      );
    }
    totalTests += cases.length;
    totalFailures += failures;
    totalSkipped += skipped;
    suites.push(
      `  <testsuite name="preflight scan: ${probe.name}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(probe.durationMs)}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`preflight scan ${report.result.target.name}`)}" tests="${totalTests}" failures="${totalFailures}" errors="0" skipped="${totalSkipped}" time="${seconds(report.result.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
