// `preflight launch` against a second, spec-only implementation of the platform (test/spec-platform), configured as
// a new user configures a real target: a preflight.yaml and secrets in the environment. The verdict table must list
// every step, whatever each one concludes; nothing may abort the launch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { type SpecPlatform, startSpecPlatform } from './spec-platform/index.js';

interface LaunchJson {
  ok: boolean;
  verdict: string;
  steps: Array<{ step: string; status: string; summary: string; error?: { code: string; message: string } }>;
}

const allSteps = ['search-check', 'load', 'scan', 'backup', 'monitoring'];

describe('preflight launch against the spec-only platform (built CLI)', () => {
  const home = mkdtempSync(join(tmpdir(), 'preflight-launch-spec-'));
  let platform: SpecPlatform;
  let identity: string;
  let recipient: string;
  beforeAll(async () => {
    platform = await startSpecPlatform();
    const keyFile = join(home, 'age-key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    identity = readFileSync(keyFile, 'utf8');
    recipient = /public key: (age1[0-9a-z]+)/.exec(identity)?.[1] ?? '';
  }, 180_000);
  afterAll(async () => {
    try {
      await platform?.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  const writeConfig = (file: string) => {
    const config = join(home, file);
    const [a, b] = platform.accounts.students;
    writeFileSync(
      config,
      [
        'targets:',
        '  spec:',
        `    baseUrl: ${platform.baseUrl}`,
        '    environment: preview',
        `    origin: ${platform.frontendOrigin}`,
        '    accounts:',
        `      studentA: { email: ${a?.email}, passwordEnv: SPEC_STUDENT_A_PASSWORD }`,
        `      studentB: { email: ${b?.email}, passwordEnv: SPEC_STUDENT_B_PASSWORD }`,
        `    rateLimitBypass: { header: ${platform.bypassHeader}, tokenEnv: SPEC_BYPASS_TOKEN }`,
        '    database: { readonlyUrlEnv: SPEC_DB_READONLY_URL, adminUrlEnv: SPEC_DB_ADMIN_URL }',
        `    backup: { storage: ${pathToFileURL(join(home, 'backups')).toString()} }`,
        'backups:',
        `  ageRecipients: [${recipient}]`,
        '',
      ].join('\n'),
    );
    return config;
  };
  const env = (password: string) => ({
    PREFLIGHT_HOME: home,
    SPEC_STUDENT_A_PASSWORD: password,
    SPEC_STUDENT_B_PASSWORD: password,
    SPEC_BYPASS_TOKEN: platform.bypassToken,
    SPEC_DB_READONLY_URL: platform.readonlyDatabaseUrl ?? '',
    SPEC_DB_ADMIN_URL: platform.databaseUrl,
    PREFLIGHT_AGE_IDENTITY: identity,
  });

  it('prints the full verdict table with every step and a verdict', async () => {
    const config = writeConfig('spec.yaml');
    const password = platform.accounts.students[0]?.password ?? '';
    const { code, stdout, stderr } = await runCli(
      ['launch', '--config', config, '--target', 'spec', '--json'],
      {
        env: env(password),
        cwd: home,
        timeoutMs: 300_000,
      },
    );
    const report = JSON.parse(stdout) as LaunchJson;
    console.info(report.steps.map((s) => `${s.step}: ${s.status}: ${s.summary}`).join('\n'));
    expect(report.steps.map((s) => s.step)).toEqual(allSteps);
    for (const step of report.steps)
      expect(['pass', 'fail', 'not-run'], `${step.step}: ${step.summary}`).toContain(step.status);
    // the spec's routes carry the booking flow and the scan: these must reach a verdict of their own
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(byStep.load?.status, `${byStep.load?.summary}\n${stderr}`).toBe('pass');
    // the spec's platform reads the client IP from CF-Connecting-IP / X-Forwarded-For: a faithful implementation
    // is spoofable, and the scan must say so (a verdict, not an error)
    expect(byStep.scan?.status, `${byStep.scan?.summary}\n${stderr}`).toBe('fail');
    expect(byStep.scan?.summary).toContain('RATE-LIMIT-SPOOF-BYPASS');
    expect(byStep.scan?.error).toBeUndefined();
    expect(byStep.backup?.status, `${byStep.backup?.summary}\n${stderr}`).toBe('pass');
    expect(code).toBe(report.ok ? 0 : 1);
    const text = await runCli(['launch', '--config', config, '--target', 'spec', '--only', 'scan'], {
      env: env(password),
      cwd: home,
      timeoutMs: 300_000,
    });
    expect(text.stdout).toMatch(/scan/);
    expect(text.stdout).toMatch(/READY|NOT READY/);
  }, 600_000);

  it('a wrong password is a FAIL row with its code; the later steps still run', async () => {
    const config = writeConfig('wrong.yaml');
    const { code, stdout } = await runCli(
      ['launch', '--config', config, '--target', 'spec', '--only', 'load,scan,backup', '--json'],
      { env: env('wrong-password-1234'), cwd: home, timeoutMs: 300_000 },
    );
    const report = JSON.parse(stdout) as LaunchJson;
    expect(code).toBe(1);
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(byStep.load?.status).toBe('fail');
    expect(byStep.backup?.status, byStep.backup?.summary).toBe('pass');
    expect(byStep.scan?.status).toBeDefined();
  }, 600_000);
});
