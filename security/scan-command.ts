/** Handler of `preflight scan`: plan, run, apply the baseline, write reports, gate. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Handler } from '../src/core/cli/define.js';
import { ExitCode, PreflightError } from '../src/core/errors.js';
import { registerSecret } from '../src/core/redact.js';
import { applyBaseline, readBaseline, updateBaseline, writeBaseline } from './baseline.js';
import { isSeverity } from './findings.js';
import { isPublicKeyPem } from './jwt-tokens.js';
import { toJsonReport } from './report/json.js';
import { buildReport, type FailOn } from './report/model.js';
import { formatTableReport } from './report/table.js';
import { parseFormats, writeReports } from './report/write.js';
import { readRoutesFile } from './routes-file.js';
import { planScan, runScan, validateScanOptions } from './scan.js';

export interface ScanArgs {
  only?: string[];
  failOn: string;
  format: string[];
  out: string;
  baseline: string;
  updateBaseline: boolean;
  baselineOwner: string;
  baselineDays: number;
  budget: number;
  concurrency: number;
  jwtPublicKey?: string;
  jwtSecretEnv?: string;
  maxTokenMinutes: number;
  sleepSeconds: number;
  readOnly?: boolean;
  routes?: string;
}

export function parseFailOn(value: string): FailOn {
  if (value === 'none' || isSeverity(value)) return value;
  throw new PreflightError(
    'E_USAGE',
    `Expected \`--fail-on\` to be critical, high, medium, low, info or none, got \`${value}\``,
  );
}

export const scanCommand: Handler<ScanArgs> = async (argv, context) => {
  const failOn = parseFailOn(argv.failOn);
  const formats = parseFormats(argv.format);
  const baselinePath = resolve(context.cwd, argv.baseline);
  const baseline = readBaseline(baselinePath);
  const only = (argv.only ?? []).flatMap((o) => o.split(','));
  validateScanOptions({ only, budget: argv.budget, concurrency: argv.concurrency });
  const target = context.resolveTarget();
  const plan = planScan(target, {
    only,
    budget: argv.budget,
    concurrency: argv.concurrency,
    extraRoutes: argv.routes ? readRoutesFile(resolve(context.cwd, argv.routes)) : [],
    settings: {
      maxTokenMinutes: argv.maxTokenMinutes,
      sleepSeconds: argv.sleepSeconds,
      jwtPublicKeyPem: argv.jwtPublicKey ? readPublicKey(resolve(context.cwd, argv.jwtPublicKey)) : undefined,
      jwtSecret: readSecretEnv(argv.jwtSecretEnv, context.env),
      ...(argv.readOnly === undefined ? {} : { readOnly: argv.readOnly }),
    },
  });
  const out = context.out;
  out.info(
    `Scanning ${target.name} (${target.baseUrl}): ${plan.probes.map((p) => p.name).join(', ')}; budget ${plan.budget} requests, concurrency ${plan.concurrency}`,
  );
  const result = await runScan(plan, (message) => out.info(message));
  const report = buildReport(result, applyBaseline(result.findings, baseline), failOn);
  const written = writeReports(report, formats, resolve(context.cwd, argv.out));
  if (argv.updateBaseline) {
    const next = updateBaseline(baseline, result.findings, {
      owner: argv.baselineOwner,
      days: argv.baselineDays,
    });
    writeBaseline(baselinePath, next);
    out.info(`Baseline ${baselinePath}: ${next.entries.length} entries`);
  }
  out.result({ ...toJsonReport(report), reports: written });
  if (formats.includes('table') || formats.length === 0) out.print(formatTableReport(report, out.paint));
  for (const [format, path] of Object.entries(written)) out.info(`${format} report: ${path}`);
  if (argv.updateBaseline) return ExitCode.ok;
  // a probe that ended in error (a test booking left active) fails the scan like a finding does
  return report.failing.length > 0 || report.probeErrors.length > 0 ? ExitCode.checkFailed : ExitCode.ok;
};

function readPublicKey(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PreflightError(
      'E_USAGE',
      `Cannot read --jwt-public-key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (!isPublicKeyPem(pem))
    throw new PreflightError('E_USAGE', `--jwt-public-key ${path} is not a PEM public key`, {
      hint: 'pass the public half (-----BEGIN PUBLIC KEY-----)',
    });
  return pem;
}

function readSecretEnv(name: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  if (!value)
    throw new PreflightError('E_CONFIG', `--jwt-secret-env names ${name}, which is not set`, {
      hint: `export ${name}=<the HS256 secret>`,
    });
  registerSecret(value);
  return value;
}
