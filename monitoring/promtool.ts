/** Runs promtool on the generated rules: `check rules` on every rule file, `test rules` on monitoring/tests/. */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { PreflightError } from '../src/core/errors.js';
import { runTool, ToolError } from '../src/core/process.js';
import { buildAlerts } from './alerts.js';
import { createTestProfile, type MonitoringProfile } from './profile.js';
import { renderPrometheusRules } from './rules.js';
import type { SloKind } from './slo.js';

export const testRuleFileName = 'preflight.rules.yml';

export interface PromtoolOptions {
  /** promtool executable (name on PATH or absolute path). */
  promtool?: string;
  timeoutMs?: number;
}

export interface PromtoolResult {
  ok: boolean;
  command: string;
  output: string;
}

/** The directory holding the promtool unit tests (from the sources or beside dist/). */
export function getRuleTestsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'tests'), join(here, '..', '..', 'monitoring', 'tests')];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) {
    throw new PreflightError('E_MONITORING', 'The promtool unit tests (monitoring/tests/) were not found', {
      hint: 'run preflight from its source checkout or package, which ships monitoring/tests/',
    });
  }
  return found;
}

/** Runs a promtool subcommand; a non-zero exit is a failed result, a missing binary an E_TOOL_MISSING error. */
async function runPromtool(
  args: string[],
  options: PromtoolOptions & { cwd?: string },
): Promise<PromtoolResult> {
  try {
    const result = await runTool(options.promtool ?? 'promtool', args, {
      cwd: options.cwd,
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    return { ok: true, command: result.command, output: `${result.stdout}${result.stderr}`.trim() };
  } catch (error) {
    if (error instanceof ToolError && error.toolExitCode !== null) {
      return { ok: false, command: error.command, output: `${error.stdoutTail}\n${error.stderrTail}`.trim() };
    }
    throw error;
  }
}

/** `promtool check rules` on each file. */
export async function checkRuleFiles(
  files: string[],
  options: PromtoolOptions = {},
): Promise<PromtoolResult> {
  return runPromtool(['check', 'rules', ...files], options);
}

export interface RuleTestRun extends PromtoolResult {
  files: string[];
}

/** Renders the rules for the test profile beside a copy of the tests and runs `promtool test rules`. */
export async function runRuleTests(
  options: PromtoolOptions & { testsDir?: string; profile?: MonitoringProfile } = {},
): Promise<RuleTestRun> {
  const testsDir = options.testsDir ?? getRuleTestsDir();
  const files = listRuleTestFiles(testsDir);
  const work = mkdtempSync(join(tmpdir(), 'preflight-promtool-'));
  try {
    const profile = options.profile ?? createTestProfile();
    writeFileSync(join(work, testRuleFileName), renderPrometheusRules(profile, { annotations: false }));
    for (const file of files) copyFileSync(join(testsDir, file), join(work, file));
    const result = await runPromtool(['test', 'rules', ...files], { ...options, cwd: work });
    return { ...result, files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function listRuleTestFiles(testsDir: string): string[] {
  return readdirSync(testsDir)
    .filter((f) => f.endsWith('.promtool.yml'))
    .sort();
}

export interface RuleTestCoverage {
  ok: boolean;
  /** Alerts without a test where they fire. */
  neverFiring: string[];
  /** Alerts without a test where they stay silent. */
  neverSilent: string[];
  /** Recording-rule families (SLO kinds) no promql_expr_test evaluates. */
  untestedRecordings: SloKind[];
  /** Alert names the tests use that no rule defines. */
  unknownAlerts: string[];
}

interface TestFile {
  tests?: Array<{
    alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
    promql_expr_test?: Array<{ expr: string }>;
  }>;
}

/** Checks that every alert has a firing and a silent case, and every SLO's recording rules are evaluated. */
export function checkRuleTestCoverage(testsDir = getRuleTestsDir()): RuleTestCoverage {
  const firing = new Set<string>();
  const silent = new Set<string>();
  const exprs: string[] = [];
  for (const file of listRuleTestFiles(testsDir)) {
    const parsed = parseYaml(readFileSync(join(testsDir, file), 'utf8')) as TestFile;
    for (const group of parsed.tests ?? []) {
      for (const test of group.alert_rule_test ?? []) {
        (test.exp_alerts?.length ? firing : silent).add(test.alertname);
      }
      for (const test of group.promql_expr_test ?? []) exprs.push(test.expr);
    }
  }
  const names = buildAlerts(createTestProfile()).map((a) => a.name);
  const neverFiring = names.filter((n) => !firing.has(n));
  const neverSilent = names.filter((n) => !silent.has(n));
  const untestedRecordings = (['availability', 'latency'] as const).filter(
    (kind) => !exprs.some((e) => e.includes(`slo:${kind}_errors:`)),
  );
  const unknownAlerts = [...new Set([...firing, ...silent])].filter((n) => !names.includes(n));
  return {
    ok: !neverFiring.length && !neverSilent.length && !untestedRecordings.length && !unknownAlerts.length,
    neverFiring,
    neverSilent,
    untestedRecordings,
    unknownAlerts,
  };
}
