// The HTML reports in headless Chromium (real browser, real launch and load runs against the sandbox): no console
// errors, no network requests, every chart drew its data, a screenshot (report.png) beside the report.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { type SandboxHandle, startSandbox } from '../sandbox/index.js';
import { launchChromium, type RenderedReport, renderReport } from './test/browser.js';
import { writeSyntheticRun } from './test/synthetic.js';
import { writeReport } from './write.js';

/** Renders, saves report.png beside the report (and into $PREFLIGHT_TEST_ARTIFACTS when CI sets it), checks the page. */
async function renderAndCheck(browser: Browser, html: string): Promise<RenderedReport> {
  const png = join(html, '..', 'report.png');
  const rendered = await renderReport(browser, html, png);
  expect(rendered.consoleErrors).toEqual([]);
  expect(rendered.networkRequests).toEqual([]);
  expect(rendered.charts.length).toBeGreaterThan(0);
  for (const chart of rendered.charts)
    expect(chart.coloredPixels, `chart ${chart.id} drew no data`).toBeGreaterThan(20);
  expect(statSync(png).size).toBeGreaterThan(10_000);
  const artifacts = process.env.PREFLIGHT_TEST_ARTIFACTS;
  if (artifacts) {
    mkdirSync(artifacts, { recursive: true });
    copyFileSync(png, join(artifacts, `${html.split('/').at(-2)}.png`));
  }
  return rendered;
}

describe('HTML reports in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the launch report of a weakened sandbox lists the failing steps first with their reasons', async () => {
    const home = makeTempDir('preflight-report-launch-');
    const stepSummary = join(home, 'step-summary.md');
    writeFileSync(stepSummary, 'earlier step\n');
    const md = join(home, 'summary.md');
    const { code, stdout, stderr } = await runCli(
      ['launch', '--weaken', 'nls-category-match,double-booking', '--summary-md', md],
      { env: { PREFLIGHT_HOME: home, GITHUB_STEP_SUMMARY: stepSummary }, timeoutMs: 300_000 },
    );
    expect(code, stderr).toBe(1);
    const [launchDir] = readdirSync(join(home, 'launch'));
    const dir = join(home, 'launch', launchDir!);
    const html = join(dir, 'report.html');
    expect(stdout).toContain(`Files:  ${dir}`);
    expect(stdout).toContain(`HTML:   ${html}`);
    expect(stdout).toContain(`file://${html}`);
    const launch = JSON.parse(readFileSync(join(dir, 'launch.json'), 'utf8')) as {
      steps: Array<{ step: string; status: string; summary: string; details?: unknown }>;
    };
    const failing = launch.steps.filter((st) => st.status === 'fail');
    // nls-category-match fails the search gate whatever else this machine does to the run
    expect(failing.map((st) => st.step)).toContain('search-check');
    const rendered = await renderAndCheck(browser, html);
    expect(rendered.steps.map((st) => st.id)).toEqual([
      ...failing.map((st) => `step-${st.step}`),
      ...launch.steps
        .filter((st) => st.status !== 'fail' && st.status !== 'pass')
        .map((st) => `step-${st.step}`),
      ...launch.steps.filter((st) => st.status === 'pass').map((st) => `step-${st.step}`),
    ]);
    expect(rendered.text).toMatch(/^NOT READY: /);
    for (const st of failing) expect(rendered.text).toContain(st.summary.slice(0, 80));
    // the charts of what ran: the load series when the load step measured, the restore phases when backup passed
    const load = launch.steps.find((st) => st.step === 'load');
    if (Array.isArray(load?.details) && load.details.length)
      expect(rendered.charts.map((c) => c.id)).toContain('load-0-latency');
    if (launch.steps.find((st) => st.step === 'backup')?.status === 'pass') {
      expect(rendered.charts.map((c) => c.id)).toContain('rto-bars');
    }
    expect(readFileSync(md, 'utf8')).toMatch(/^## preflight launch: ❌ NOT READY/);
    const appended = readFileSync(stepSummary, 'utf8');
    expect(appended.startsWith('earlier step\n')).toBe(true);
    expect(appended).toContain('| search-check | ❌ FAIL |');
  }, 400_000);

  describe('a load run against the sandbox', () => {
    let sandbox: SandboxHandle;
    let home: string;
    beforeAll(async () => {
      home = makeTempDir('preflight-report-load-');
      sandbox = await startSandbox({ dir: join(home, 'sandbox') });
    }, 180_000);
    afterAll(async () => {
      await sandbox?.stop();
    });

    it('`load run` writes report.html beside its results and prints it', async () => {
      const results = join(home, 'results');
      const md = join(home, 'load-summary.md');
      const stepSummary = join(home, 'load-step-summary.md');
      const { code, stdout, stderr } = await runCli(
        ['load', 'run', 'smoke', '--target', 'sandbox', '--results-dir', results, '--summary-md', md],
        {
          env: { PREFLIGHT_HOME: home, PREFLIGHT_CONFIG: '', GITHUB_STEP_SUMMARY: stepSummary },
          timeoutMs: 180_000,
        },
      );
      // on a busy machine a latency threshold may fail (exit 1): the report is written either way and says so
      expect([0, 1], `${stdout}\n${stderr}`).toContain(code);
      const verdict = code === 0 ? '✅ PASSED' : '❌ FAILED';
      const [runId] = readdirSync(results);
      const html = join(results, runId!, 'report.html');
      expect(stdout).toContain(`report:  ${html}`);
      expect(stdout).toContain(`file://${html}`);
      const rendered = await renderAndCheck(browser, html);
      expect(rendered.text).toContain(verdict.slice(2));
      expect(rendered.text).toContain('http_req_failed');
      const summary = readFileSync(md, 'utf8');
      expect(summary).toMatch(/^## preflight load \S+smoke\S*: /);
      expect(summary.split('\n')[0]).toContain(verdict);
      expect(summary).toContain('| http_req_failed rate<0.01 |');
      expect(readFileSync(stepSummary, 'utf8')).toBe(`${summary}\n`);
    }, 240_000);
  });

  it('a capacity search draws its curve with the knee marked', async () => {
    const dir = makeTempDir('preflight-report-capacity-');
    const step = (targetRps: number, achievedRps: number, p95: number, ok: boolean) => ({
      phase: 'ramp',
      targetRps,
      achievedRps,
      requests: achievedRps * 10,
      droppedIterations: 0,
      observed: [
        { clause: 'p(95)<300', value: p95, ok: p95 < 300 },
        { clause: 'rate<0.01', value: 0, ok: true },
      ],
      ok,
      reasons: ok ? [] : ['p(95)<300'],
    });
    const capacity = {
      scenario: 'search-mix',
      slo: 'p(95)<300,rate<0.01',
      capacityRps: 160,
      firstFailingRps: 320,
      kneeFound: true,
      steps: [
        step(20, 20, 12, true),
        step(40, 40, 15, true),
        step(80, 79, 30, true),
        step(160, 158, 120, true),
        step(320, 210, 900, false),
      ],
      bottleneck: 'database pool saturated',
      exitCode: 0,
    };
    writeFileSync(join(dir, 'capacity.json'), JSON.stringify(capacity));
    const written = await writeReport({ dir, env: {} });
    const rendered = await renderAndCheck(browser, written.html);
    expect(rendered.charts.map((c) => c.id)).toEqual(['capacity-capacity']);
    expect(rendered.text).toContain('knee at 160 req/s (first failing 320 req/s)');
  }, 120_000);

  it('a 1 h run (3,600 points per series) gives a report under 1 MB; its render time is printed', async () => {
    const dir = writeSyntheticRun(makeTempDir('preflight-report-1h-'), 3600);
    const written = await writeReport({ dir, env: {} });
    const size = statSync(written.html).size;
    expect(size).toBeLessThan(1024 * 1024);
    const rendered = await renderAndCheck(browser, written.html);
    console.log(
      `1 h report: ${(size / 1024).toFixed(0)} KiB, rendered in ${rendered.renderMs.toFixed(0)} ms`,
    );
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
    expect(rendered.text).toContain('FAILED');
  }, 120_000);
});
