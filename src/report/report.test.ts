// The report without a browser: downsampling, step order, the Markdown summary and the `preflight report` command
// (built CLI, real subprocesses; --open runs a tiny real opener from PATH).
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { downsampleMinMax } from './downsample.js';
import { type LaunchStepReport, orderSteps } from './launch-sections.js';
import { writeSyntheticRun } from './test/synthetic.js';
import { writeReport } from './write.js';

function writeLaunchDir(root: string): string {
  const dir = join(root, '2026-11-30T15-15-37-658Z');
  mkdirSync(dir, { recursive: true });
  const steps: LaunchStepReport[] = [
    { step: 'search-check', status: 'pass', summary: 'precision 100.0%', durationMs: 300 },
    {
      step: 'load',
      status: 'fail',
      summary: 'booking-race: 2/4 thresholds (failed: invariant no overlap)',
      durationMs: 9000,
      details: [],
    },
    { step: 'scan', status: 'not-run', summary: 'could not finish 2 of 8 probes', durationMs: 100 },
    {
      step: 'backup',
      status: 'fail',
      summary: 'E_BACKUP_CONFIG: no | storage',
      durationMs: 10,
      error: { code: 'E_BACKUP_CONFIG', message: 'no storage', hint: 'set targets.x.backup.storage' },
    },
    { step: 'monitoring', status: 'skip', summary: 'skipped (--skip or --only)', durationMs: 0 },
  ];
  writeFileSync(
    join(dir, 'launch.json'),
    JSON.stringify({ ok: false, verdict: 'NOT READY', target: 'staging', steps }, null, 2),
  );
  return dir;
}

describe('downsampleMinMax', () => {
  it('keeps every point of a short series and the peaks of a long one in at most 2 points a bucket', () => {
    expect(downsampleMinMax([0, 1, 2], [[5, null, 7]], 10)).toEqual({ x: [0, 1, 2], series: [[5, null, 7]] });
    const x = Array.from({ length: 86_400 }, (_, i) => i);
    const values = x.map((i) => (i === 40_000 ? 9_999 : i === 50_000 ? -5 : i % 10));
    const down = downsampleMinMax(x, [values], 600);
    expect(down.x).toHaveLength(1200);
    expect(down.series[0]).toHaveLength(1200);
    expect(Math.max(...(down.series[0] as number[]))).toBe(9_999);
    expect(Math.min(...(down.series[0] as number[]))).toBe(-5);
    expect(down.x[0]).toBe(0);
    expect(down.x.every((v, i) => i === 0 || v >= (down.x[i - 1] ?? 0))).toBe(true);
  });
});

describe('a 24 h soak', () => {
  it('gives a report under 1 MB: every series is downsampled to at most 1,200 points', async () => {
    const dir = writeSyntheticRun(makeTempDir('preflight-report-24h-'), 86_400);
    const written = await writeReport({ dir, env: {} });
    const html = readFileSync(written.html, 'utf8');
    expect(html.length).toBeLessThan(1024 * 1024);
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
    ) as {
      charts: Array<{ id: string; x: number[]; series: Array<{ values: unknown[] }> }>;
    };
    expect(data.charts.map((c) => c.id)).toEqual([
      'run-throughput',
      'run-errors',
      'run-latency',
      expect.stringMatching(/bottleneck$/),
    ]);
    for (const chart of data.charts) {
      expect(chart.x.length).toBeLessThanOrEqual(1200);
      expect(chart.x.at(-1)).toBeGreaterThan(86_000);
      for (const series of chart.series) expect(series.values).toHaveLength(chart.x.length);
    }
  });
});

describe('orderSteps', () => {
  it('puts failing steps first, then not run, skipped and passed, each in launch order', () => {
    const dir = writeLaunchDir(makeTempDir('preflight-report-order-'));
    const launch = JSON.parse(readFileSync(join(dir, 'launch.json'), 'utf8')) as {
      steps: LaunchStepReport[];
    };
    expect(orderSteps(launch.steps).map((s) => s.step)).toEqual([
      'load',
      'backup',
      'scan',
      'monitoring',
      'search-check',
    ]);
  });
});

describe('preflight report <dir> (built CLI)', () => {
  it('rebuilds a launch report: failing steps first with their reasons, the Markdown summary, $GITHUB_STEP_SUMMARY appended', async () => {
    const root = makeTempDir('preflight-report-cli-');
    const dir = writeLaunchDir(root);
    const md = join(root, 'out', 'summary.md');
    const stepSummary = join(root, 'step-summary.md');
    writeFileSync(stepSummary, '## earlier step\n');
    const { code, stdout, stderr } = await runCli(['report', dir, '--summary-md', md], {
      env: { GITHUB_STEP_SUMMARY: stepSummary },
    });
    expect(code, stderr).toBe(0);
    const htmlPath = join(dir, 'report.html');
    expect(stdout).toContain(`Report: ${htmlPath}`);
    expect(stdout).toContain(`file://${htmlPath}`);
    const html = readFileSync(htmlPath, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const sections = [...html.matchAll(/<section class="step [^"]+" id="step-([\w-]+)"/g)].map((m) => m[1]);
    expect(sections).toEqual(['load', 'backup', 'scan', 'monitoring', 'search-check']);
    expect(html).toContain('hint: set targets.x.backup.storage');
    const summary = readFileSync(md, 'utf8');
    expect(summary).toContain('## preflight launch: ❌ NOT READY');
    expect(summary).toContain('target: `staging`');
    expect(summary.indexOf('| load | ❌ FAIL |')).toBeLessThan(summary.indexOf('| search-check | ✅ PASS |'));
    // a | in a summary must not break the Markdown table
    expect(summary).toContain('E_BACKUP_CONFIG: no \\| storage');
    const appended = readFileSync(stepSummary, 'utf8');
    expect(appended.startsWith('## earlier step\n## preflight launch: ❌ NOT READY')).toBe(true);
  });

  it('rebuilds a load report with its key figures, as JSON with --json', async () => {
    const dir = writeSyntheticRun(makeTempDir('preflight-report-load-'), 120);
    const md = join(dir, 'summary.md');
    const { code, stdout, stderr } = await runCli(['report', dir, '--json', '--summary-md', md], {
      env: { GITHUB_STEP_SUMMARY: '' },
    });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { ok: boolean; html: string; markdown: string[] };
    expect(result.ok).toBe(true);
    expect(result.markdown).toEqual([md]);
    expect(statSync(result.html).size).toBeGreaterThan(50_000);
    const summary = readFileSync(md, 'utf8');
    expect(summary).toContain('❌ FAILED');
    expect(summary).toContain('| http_req_failed rate<0.001 | 0.0012 | ❌ |');
    expect(summary).toContain('p95 70 ms');
  });

  it('names the bad directory (E_REPORT, exit 1)', async () => {
    const empty = makeTempDir('preflight-report-empty-');
    const { code, stderr } = await runCli(['report', empty]);
    expect(code).toBe(1);
    expect(stderr).toContain('error[E_REPORT]');
    expect(stderr).toContain(
      `${empty} holds no launch.json (a launch), summary.json (a load run) or capacity.json`,
    );
    const missing = await runCli(['report', join(empty, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No results directory at');
  });

  it('--open runs the browser opener found on PATH, and says so when there is none', async () => {
    const root = makeTempDir('preflight-report-open-');
    const dir = writeSyntheticRun(root, 10);
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const opened = join(root, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > '${opened}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const withOpener = await runCli(['report', dir, '--open'], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
    });
    expect(withOpener.code, withOpener.stderr).toBe(0);
    expect(readFileSync(opened, 'utf8').trim()).toBe(join(dir, 'report.html'));
    const noBin = join(root, 'empty-bin');
    mkdirSync(noBin);
    const withoutOpener = await runCli(['report', dir, '--open'], { env: { PATH: noBin } });
    expect(withoutOpener.code, withoutOpener.stderr).toBe(0);
    expect(withoutOpener.stderr).toContain('no browser opener found');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
