/** Builds a report (HTML page and Markdown summary) from a launch directory or a load results directory. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PreflightError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { ChartSpec } from './charts.js';
import { esc } from './html-kit.js';
import { type LaunchFile, orderSteps, renderStep } from './launch-sections.js';
import {
  type CapacityFile,
  describeLoadFigures,
  isLoadDir,
  isLoadRunOk,
  readJson,
  readLoadRun,
  renderCapacity,
  renderLoadRun,
} from './load-section.js';
import { renderLaunchMarkdown, renderLoadMarkdown } from './markdown.js';
import { getGitCommit, getPreflightVersion } from './meta.js';
import { renderPage } from './page.js';

export interface BuiltReport {
  kind: 'launch' | 'load' | 'capacity';
  html: string;
  markdown: string;
  ready: boolean;
}

export async function buildReport(dir: string): Promise<BuiltReport> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PreflightError('E_REPORT', `No results directory at ${dir}`, {
      hint: 'pass a launch directory (.preflight/launch/<time>) or a load results directory (results/<run-id>)',
    });
  }
  const launchPath = join(dir, 'launch.json');
  const launch = existsSync(launchPath) ? readJson<LaunchFile>(launchPath) : undefined;
  if (launch && Array.isArray(launch.steps)) return buildLaunchReport(dir, launch);
  if (isLoadDir(dir)) return buildLoadReport(dir);
  const capacity = readJson<CapacityFile>(join(dir, 'capacity.json'));
  if (capacity) return buildCapacityReport(dir, capacity);
  throw new PreflightError(
    'E_REPORT',
    `${dir} holds no launch.json (a launch), summary.json (a load run) or capacity.json (a capacity search)`,
    {
      hint: 'pass a launch directory (.preflight/launch/<time>) or a load results directory (results/<run-id>)',
    },
  );
}

async function buildLaunchReport(dir: string, launch: LaunchFile): Promise<BuiltReport> {
  const charts: ChartSpec[] = [];
  const steps = orderSteps(launch.steps);
  const body = steps.map((s) => renderStep(s, dir, charts)).join('\n');
  const ready = launch.ok === true;
  const time = timeFromDir(dir);
  const facts: Array<[string, string]> = [
    ['target', launch.target],
    ['time', time],
    ['preflight', getPreflightVersion()],
  ];
  const commit = await getGitCommit(dir);
  if (commit) facts.push(['commit', commit]);
  const failed = steps.filter((s) => s.status === 'fail').map((s) => s.step);
  const verdictText = ready ? 'READY' : `NOT READY${failed.length ? `: ${failed.join(', ')} failed` : ''}`;
  const html = renderPage(
    { title: `preflight launch: ${verdictText} (${launch.target})`, ready, verdictText, facts },
    body,
    charts,
    steps.map((s) => [`step-${s.step}`, `${s.step} (${s.status})`]),
  );
  return {
    kind: 'launch',
    html: redact(html),
    markdown: redact(renderLaunchMarkdown(launch, steps, facts)),
    ready,
  };
}

async function buildLoadReport(dir: string): Promise<BuiltReport> {
  const run = readLoadRun(dir);
  const charts: ChartSpec[] = [];
  const body = `<section class="step" id="load-run">${renderLoadRun(run, charts, 'run')}</section>`;
  const ready = isLoadRunOk(run);
  const s = run.summary;
  const facts: Array<[string, string]> = [
    ['run', s.runId],
    ['script', s.script ?? '-'],
    ['target', s.target ?? '-'],
    ['time', s.startedAt ?? '-'],
    ['preflight', getPreflightVersion()],
  ];
  const commit = await getGitCommit(dir);
  if (commit) facts.push(['commit', commit]);
  const verdictText = `${ready ? 'PASSED' : 'FAILED'}: ${describeLoadFigures(run)}`;
  const html = renderPage(
    { title: `preflight load ${esc(s.runId)}`, ready, verdictText, facts },
    body,
    charts,
  );
  return { kind: 'load', html: redact(html), markdown: redact(renderLoadMarkdown(run, ready, facts)), ready };
}

async function buildCapacityReport(dir: string, capacity: CapacityFile): Promise<BuiltReport> {
  const charts: ChartSpec[] = [];
  const body = `<section class="step" id="capacity">${renderCapacity(capacity, charts, 'capacity')}</section>`;
  const facts: Array<[string, string]> = [
    ['scenario', capacity.scenario ?? '-'],
    ['SLO', capacity.slo ?? '-'],
    ['preflight', getPreflightVersion()],
  ];
  const commit = await getGitCommit(dir);
  if (commit) facts.push(['commit', commit]);
  const ready = capacity.capacityRps > 0;
  const verdictText = `Capacity ${capacity.capacityRps} req/s${capacity.kneeFound ? '' : ' (no knee found)'}`;
  const html = renderPage(
    { title: `preflight capacity ${capacity.scenario ?? ''}`, ready, verdictText, facts },
    body,
    charts,
  );
  const markdown = `## preflight load capacity ${capacity.scenario ?? ''}: ${capacity.capacityRps} req/s\n\n${facts
    .map(([k, v]) => `${k}: \`${v}\``)
    .join(' · ')}\n\n${capacity.bottleneck ? `bottleneck: ${capacity.bottleneck}\n` : ''}`;
  return { kind: 'capacity', html: redact(html), markdown: redact(markdown), ready };
}

/** .preflight/launch/2026-11-30T15-15-37-658Z -> 2026-11-30T15:15:37.658Z (the directory name is the start time). */
function timeFromDir(dir: string): string {
  const name = dir.replace(/\/+$/, '').split('/').pop() ?? '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/.exec(name);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z` : name;
}
