import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { main } from '../app/cli.js';
import { validateConfig } from '../core/config/load.js';
import { getFreePort } from '../core/net.js';
import { resolveTarget } from '../core/target.js';
import { type FakeSearchMode, type FakeSearchServer, startFakeSearchServer } from './fake-search-server.js';
import { runSearchCheck, searchCheck } from './run.js';

const servers: FakeSearchServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startFake(mode: FakeSearchMode): Promise<FakeSearchServer> {
  const server = await startFakeSearchServer(mode);
  servers.push(server);
  return server;
}

const env = { FAKE_BYPASS_TOKEN: 'bypass-token-123' };

function targetFor(baseUrl: string, searchCheckConfig: Record<string, number> = {}) {
  const config = validateConfig({
    targets: {
      fake: {
        baseUrl,
        origin: 'https://app.example.com',
        rateLimitBypass: { tokenEnv: 'FAKE_BYPASS_TOKEN' },
        searchCheck: searchCheckConfig,
      },
    },
  });
  return resolveTarget(config, 'fake', { env });
}

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function runCli(args: string[], baseUrl: string) {
  const dir = makeTempDir('search-check-cli-');
  writeFileSync(
    join(dir, 'preflight.yaml'),
    `targets:\n  fake:\n    baseUrl: ${baseUrl}\n    origin: https://app.example.com\n    searchCheck:\n      minPrecision: 0.95\n`,
  );
  const stdout = capture();
  const stderr = capture();
  const code = await main(['search-check', '--target', 'fake', '--no-color', ...args], {
    cwd: dir,
    env: { ...process.env, PREFLIGHT_HOME: join(dir, '.preflight') },
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), dir };
}

describe('runSearchCheck against a real HTTP server with canned platform-shaped responses', () => {
  it('passes a service-level search and sends Origin and the bypass header on every query', async () => {
    const fake = await startFake('service');
    const { report, exitCode } = await searchCheck({ target: targetFor(fake.baseUrl) });
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.summary.queries).toBeGreaterThanOrEqual(30);
    expect(report.summary.constraintSatisfactionRate).toBe(1);
    expect(report.summary.zeroResultRate).toBe(0);
    expect(report.summary.failingQueries).toEqual([]);
    expect(fake.requests).toHaveLength(report.summary.queries);
    for (const r of fake.requests) {
      expect(r.url).toMatch(/^\/api\/v1\/search\?q=.+&limit=20$/);
      expect(r.headers.origin).toBe('https://app.example.com');
      expect(r.headers['x-rate-limit-bypass']).toBe('bypass-token-123');
    }
    const yoga = report.queries.find((q) => q.q === 'yoga 45 per hour');
    expect(yoga).toMatchObject({ softFilteringUsed: true, failing: false, parsed: { maxPrice: 45 } });
  });

  it('fails a category-level search and names the failing queries and the wrong services', async () => {
    const fake = await startFake('category');
    const { report, exitCode } = await searchCheck({ target: targetFor(fake.baseUrl) });
    expect(exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.summary.constraintSatisfactionRate).toBeLessThan(0.95);
    expect(report.failures[0]).toMatch(/^constraint-satisfaction rate .* is below the minimum 95%$/);
    expect(report.summary.failingQueries).toContain('piano under $80');
    expect(report.summary.failingQueries).not.toContain('lessons under $50');
    const piano = report.queries.find((q) => q.q === 'piano under $80')!;
    expect(piano.problems[0]).toMatch(/^\d+\/\d+ results not piano: .*\(Music\)/);
  });

  it('takes the thresholds from the target config, and options override them', async () => {
    const fake = await startFake('category');
    const lenient = await runSearchCheck(targetFor(fake.baseUrl, { minPrecision: 0.1 }));
    expect(lenient.thresholds).toEqual({ minPrecision: 0.1, maxZeroResultRate: 0.05 });
    expect(lenient.ok).toBe(true);
    const strict = await runSearchCheck(targetFor(fake.baseUrl, { minPrecision: 0.1 }), {
      minPrecision: 0.99,
    });
    expect(strict.ok).toBe(false);
    await expect(runSearchCheck(targetFor(fake.baseUrl), { maxZeroResultRate: 5 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'Expected `--max-zero-result-rate` to be a number from 0 to 1, got `5`',
    });
  });

  it('fails when the price filter is ignored', async () => {
    const fake = await startFake('ignore-price');
    const report = await runSearchCheck(targetFor(fake.baseUrl));
    expect(report.ok).toBe(false);
    expect(report.queries.find((q) => q.q === 'piano under $80')?.problems[0]).toMatch(
      /^\d+\/8 results above \$80: \$102/,
    );
  });

  it('records HTTP errors per query and fails the gate', async () => {
    const fake = await startFake('error');
    const report = await runSearchCheck(targetFor(fake.baseUrl));
    expect(report.ok).toBe(false);
    expect(report.queries.find((q) => q.q === 'piano under $80')).toMatchObject({
      error: 'HTTP 500 (INTERNAL: Internal Server Error)',
      failing: true,
    });
    expect(report.failures).toContain(`${report.summary.erroredQueries} queries could not be judged`);
    expect(report.summary.zeroResultQueries).toBe(0);
  });

  it('waits out a 429 for its Retry-After and asks again', async () => {
    const fake = await startFake('rate-limit-once');
    const progress: string[] = [];
    const report = await runSearchCheck(targetFor(fake.baseUrl), { onProgress: (m) => progress.push(m) });
    expect(report.ok).toBe(true);
    expect(fake.requests.filter((r) => r.url.includes('q=piano+under+%2480'))).toHaveLength(2);
    expect(progress).toContain('search-check: rate limited on "piano under $80", retrying in 1 s');
    const noRetry = await runSearchCheck(targetFor((await startFake('rate-limit-once')).baseUrl), {
      rateLimitRetries: 0,
    });
    expect(noRetry.queries.find((q) => q.q === 'piano under $80')?.error).toBe(
      'HTTP 429 (RATE_LIMIT_EXCEEDED: Too many requests)',
    );
  });

  it('throws E_TARGET_UNREACHABLE (exit 3) when nothing listens', async () => {
    const port = await getFreePort();
    await expect(runSearchCheck(targetFor(`http://127.0.0.1:${port}`))).rejects.toMatchObject({
      code: 'E_TARGET_UNREACHABLE',
      exitCode: 3,
    });
  });
});

describe('preflight search-check (the CLI, in process)', () => {
  it('prints the table with failing queries highlighted and exits 1 below the threshold', async () => {
    const fake = await startFake('category');
    const { code, stdout } = await runCli([], fake.baseUrl);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /FAIL\s+piano under \$80\s+piano <= \$80\s+\d+\/\d+\s+[\d.]+%\s+\d+\/\d+ results not piano: /,
    );
    expect(stdout).toMatch(/ok\s+lessons under \$50/);
    expect(stdout).toContain('Failing queries (');
    expect(stdout).toContain('"piano under $80"');
  });

  it('prints the report as JSON and exits 0 when the flags lower the bar', async () => {
    const fake = await startFake('category');
    const { code, stdout } = await runCli(
      ['--json', '--min-precision', '0.2', '--max-zero-result-rate', '0.5'],
      fake.baseUrl,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      ok: true,
      target: 'fake',
      thresholds: { minPrecision: 0.2, maxZeroResultRate: 0.5 },
    });
    expect(report.queries[0]).toHaveProperty('results');
  });

  it('exits 2 naming the entry and field of a bad golden file', async () => {
    const fake = await startFake('service');
    const dir = makeTempDir('golden-bad-');
    writeFileSync(
      join(dir, 'q.yaml'),
      'catalog:\n  Music: [piano]\nqueries:\n  - {q: piano under $80, service: piano, maxPrice: -80}\n',
    );
    const { code, stderr } = await runCli(['--queries', join(dir, 'q.yaml')], fake.baseUrl);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'queries[0] ("piano under $80"): field `maxPrice` must be a positive number or null, got -80',
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('exits 3 when the target does not answer', async () => {
    const port = await getFreePort();
    const { code, stderr } = await runCli([], `http://127.0.0.1:${port}`);
    expect(code).toBe(3);
    expect(stderr).toContain('error[E_TARGET_UNREACHABLE]');
  });
});
