// The launch step runner as a plain function, with fake steps (plain objects standing in for the capabilities).
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../core/config/load.js';
import { PreflightError } from '../../core/errors.js';
import { createOutput } from '../../core/output.js';
import { registerSecret } from '../../core/redact.js';
import { resolveTarget } from '../../core/target.js';
import { decideVerdict, formatVerdict, planSteps, runLaunchSteps, type StepReport } from './runner.js';
import type { LaunchStep, StepContext, StepResult } from './steps.js';

const config = validateConfig({ targets: { fake: { baseUrl: 'http://127.0.0.1:9' } } });
const context: StepContext = {
  target: resolveTarget(config, 'fake', { env: {} }),
  out: createOutput({ json: true }),
  workDir: '/nonexistent',
  config,
  env: {},
};

/** Fake steps with the real step names; each records that it ran. */
function createFakeSteps(behaviour: Record<string, () => Promise<StepResult>> = {}) {
  const ran: string[] = [];
  const steps: LaunchStep[] = ['search-check', 'load', 'scan', 'backup', 'monitoring'].map((name) => ({
    name,
    describe: `fake ${name}`,
    async run() {
      ran.push(name);
      return (behaviour[name] ?? (async () => ({ status: 'pass', summary: `${name} ok` })))();
    },
  }));
  return { steps, ran };
}

const byStep = (reports: StepReport[]) => Object.fromEntries(reports.map((r) => [r.step, r]));

describe('runLaunchSteps with fake steps', () => {
  it('a step that throws a PreflightError is a FAIL row with its code and redacted message; later steps still run', async () => {
    registerSecret('fake-secret-value-42');
    const { steps, ran } = createFakeSteps({
      load: async () => {
        throw new PreflightError(
          'E_K6_SCRIPT',
          'setup() failed for postgresql://app:hunter2@127.0.0.1:5432/db with fake-secret-value-42\nstack line',
          { hint: 'check the password fake-secret-value-42' },
        );
      },
    });
    const reports = await runLaunchSteps(planSteps(steps), context);
    expect(ran).toEqual(['search-check', 'load', 'scan', 'backup', 'monitoring']);
    expect(reports.map((r) => [r.step, r.status])).toEqual([
      ['search-check', 'pass'],
      ['load', 'fail'],
      ['scan', 'pass'],
      ['backup', 'pass'],
      ['monitoring', 'pass'],
    ]);
    const load = byStep(reports).load!;
    expect(load.error?.code).toBe('E_K6_SCRIPT');
    expect(load.summary).toBe(
      'E_K6_SCRIPT: setup() failed for postgresql://app:***@127.0.0.1:5432/db with ***',
    );
    expect(JSON.stringify(load)).not.toMatch(/hunter2|fake-secret-value-42/);
    expect(load.error?.hint).toBe('check the password ***');
    const verdict = decideVerdict(reports);
    expect(verdict).toMatchObject({ ready: false, failed: ['load'], notRun: [] });
    expect(formatVerdict(verdict, 'fake')).toBe('NOT READY (1 failed) on "fake": failed: load.');
  });

  it('any other exception is a FAIL row with E_INTERNAL, reported to the hook, and the next steps run', async () => {
    const { steps, ran } = createFakeSteps({
      'search-check': async () => {
        throw new TypeError('Cannot read properties of undefined');
      },
    });
    const internal: string[] = [];
    const reports = await runLaunchSteps(planSteps(steps), context, {
      onInternalError: (step) => internal.push(step.name),
    });
    expect(ran).toHaveLength(5);
    expect(byStep(reports)['search-check']).toMatchObject({
      status: 'fail',
      error: { code: 'E_INTERNAL', message: 'Cannot read properties of undefined' },
    });
    expect(internal).toEqual(['search-check']);
  });

  it('--skip backup: the step does not run and the verdict is NOT READY (1 not run)', async () => {
    const { steps, ran } = createFakeSteps();
    const reports = await runLaunchSteps(planSteps(steps, { skip: ['backup'] }), context);
    expect(ran).not.toContain('backup');
    expect(byStep(reports).backup).toMatchObject({ status: 'skip', allowed: false });
    const verdict = decideVerdict(reports);
    expect(verdict).toMatchObject({ ready: false, failed: [], notRun: ['backup'] });
    expect(formatVerdict(verdict, 'fake')).toMatch(/^NOT READY \(1 not run\) on "fake": not run: backup/);
  });

  it('--skip backup --allow-skip backup: READY when the rest passed, NOT READY when another step failed', async () => {
    const plan = { skip: ['backup'], allowSkip: ['backup'] };
    const passing = createFakeSteps();
    const ready = decideVerdict(await runLaunchSteps(planSteps(passing.steps, plan), context));
    expect(ready).toMatchObject({ ready: true, allowed: ['backup'], notRun: [] });
    expect(formatVerdict(ready, 'fake')).toBe(
      'READY: every launch check that ran passed on "fake" (not run, allowed by --allow-skip: backup).',
    );
    const failing = createFakeSteps({ scan: async () => ({ status: 'fail', summary: '1 high finding' }) });
    const notReady = decideVerdict(await runLaunchSteps(planSteps(failing.steps, plan), context));
    expect(notReady).toMatchObject({ ready: false, failed: ['scan'], notRun: [] });
  });

  it('a step that reports not-run holds the verdict back unless --allow-skip names it', async () => {
    const notConfigured = async (): Promise<StepResult> => ({
      status: 'not-run',
      summary: 'not configured: set targets.fake.database.adminUrlEnv',
    });
    const { steps, ran } = createFakeSteps({ backup: notConfigured });
    const reports = await runLaunchSteps(planSteps(steps), context);
    expect(ran).toContain('backup');
    expect(decideVerdict(reports)).toMatchObject({ ready: false, notRun: ['backup'] });
    const allowed = await runLaunchSteps(planSteps(steps, { allowSkip: ['backup'] }), context);
    expect(byStep(allowed).backup).toMatchObject({ status: 'not-run', allowed: true });
    expect(decideVerdict(allowed)).toMatchObject({ ready: true, allowed: ['backup'] });
  });

  it('skipping every step is never READY, not even when every skip is allowed', async () => {
    const names = ['search-check', 'load', 'scan', 'backup', 'monitoring'];
    const { steps, ran } = createFakeSteps();
    const skipped = decideVerdict(await runLaunchSteps(planSteps(steps, { skip: names }), context));
    expect(skipped).toMatchObject({ ready: false, notRun: names });
    expect(formatVerdict(skipped, 'fake')).toMatch(/^NOT READY \(5 not run\)/);
    const allowed = decideVerdict(
      await runLaunchSteps(planSteps(steps, { skip: names, allowSkip: names }), context),
    );
    expect(allowed.ready).toBe(false);
    expect(formatVerdict(allowed, 'fake')).toBe(
      'NOT READY: no launch check ran on "fake" (every step was skipped).',
    );
    expect(ran).toEqual([]);
  });

  it('an unknown step name in --only, --skip or --allow-skip is a usage error naming the option', () => {
    const { steps } = createFakeSteps();
    expect(() => planSteps(steps, { allowSkip: ['backups'] })).toThrow(
      expect.objectContaining({ code: 'E_USAGE', message: 'Unknown launch step "backups" in --allow-skip' }),
    );
    expect(() => planSteps(steps, { skip: ['warp-drive'] })).toThrow(/"warp-drive" in --skip/);
  });
});
