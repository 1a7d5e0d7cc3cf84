/** The short Markdown summary for CI (--summary-md, $GITHUB_STEP_SUMMARY): the verdict and the key figures. */
import type { LaunchFile, LaunchStepReport } from './launch-sections.js';
import { describeLoadFigures, type LoadRun } from './load-section.js';

const ICON: Record<string, string> = {
  pass: '✅ PASS',
  fail: '❌ FAIL',
  skip: '⏭️ SKIP',
  'not-run': '⚠️ NOT RUN',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderLaunchMarkdown(
  launch: LaunchFile,
  ordered: LaunchStepReport[],
  facts: Array<[string, string]>,
): string {
  return [
    `## preflight launch: ${launch.ok ? '✅ READY' : '❌ NOT READY'}`,
    '',
    facts.map(([k, v]) => `${k}: \`${v}\``).join(' · '),
    '',
    '| check | verdict | summary |',
    '|---|---|---|',
    ...ordered.map((s) => `| ${cell(s.step)} | ${ICON[s.status] ?? s.status} | ${cell(s.summary)} |`),
    '',
  ].join('\n');
}

export function renderLoadMarkdown(run: LoadRun, ok: boolean, facts: Array<[string, string]>): string {
  const s = run.summary;
  const failing = (s.thresholds ?? []).filter((t) => !t.ok);
  return [
    `## preflight load ${s.runId}: ${ok ? '✅ PASSED' : '❌ FAILED'}`,
    '',
    facts.map(([k, v]) => `${k}: \`${v}\``).join(' · '),
    '',
    describeLoadFigures(run),
    '',
    ...(s.thresholds?.length
      ? [
          '| threshold | observed | verdict |',
          '|---|---|---|',
          ...[...failing, ...(s.thresholds ?? []).filter((t) => t.ok)].map(
            (t) => `| ${cell(`${t.metric} ${t.source}`)} | ${t.observed ?? '-'} | ${t.ok ? '✅' : '❌'} |`,
          ),
          '',
        ]
      : []),
  ].join('\n');
}
