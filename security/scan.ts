/** planScan() picks and checks what will run; runScan() runs the probes against the target and collects findings. */
import { PreflightError } from '../src/core/errors.js';
import type { ResolvedTarget } from '../src/core/target.js';
import { type Finding, sortFindings } from './findings.js';
import { BudgetExceededError, ScanHttp } from './http.js';
import { crackHmacSecret } from './jwt-tokens.js';
import type { NotRun, Probe, ProbeContext, ScanSettings } from './probe.js';
import { allProbes } from './probes/index.js';
import { discoverRoutes, type RouteSpec } from './routes.js';
import { type ProbeName, probeNames } from './rules.js';
import { Session } from './session.js';
import { readBundledSecrets } from './wordlist/compose.js';

export interface ScanOptions {
  only?: string[];
  budget?: number;
  concurrency?: number;
  settings?: Partial<ScanSettings>;
  extraRoutes?: RouteSpec[];
  log?: (message: string) => void;
}

export interface ScanPlan {
  target: ResolvedTarget;
  probes: Probe[];
  budget: number;
  concurrency: number;
  settings: ScanSettings;
  extraRoutes: RouteSpec[];
}

export interface ProbeRun {
  name: ProbeName;
  status: 'ok' | 'incomplete' | 'error';
  findings: number;
  notes: string[];
  /** Checks of this probe that did not run, with the reason (never counted as findings). */
  notRun: NotRun[];
  durationMs: number;
  requests: number;
}

export interface ScanResult {
  target: { name: string; baseUrl: string; environment: string; production: boolean };
  startedAt: string;
  durationMs: number;
  requests: number;
  budget: number;
  /** Requests resent after a transient socket error (ECONNRESET, EPIPE, socket hang up). */
  resent: number;
  /** Each transient socket error seen, and whether it was resent. */
  transientErrors: string[];
  probes: ProbeRun[];
  findings: Finding[];
  openapiUrl: string | undefined;
}

/** Checks --only, --budget and --concurrency before anything is contacted (usage errors exit 2). */
export function validateScanOptions(options: ScanOptions): {
  only: string[];
  budget: number;
  concurrency: number;
} {
  const only = (options.only ?? []).map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((name) => !(probeNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new PreflightError(
      'E_USAGE',
      `Unknown probe categor${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`,
      {
        hint: `valid: ${probeNames.join(', ')}`,
      },
    );
  }
  const budget = options.budget ?? 3000;
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(budget) || budget < 50) {
    throw new PreflightError('E_USAGE', `Expected \`--budget\` to be an integer >= 50, got \`${budget}\``);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new PreflightError(
      'E_USAGE',
      `Expected \`--concurrency\` to be an integer from 1 to 64, got \`${concurrency}\``,
    );
  }
  return { only, budget, concurrency };
}

export function planScan(target: ResolvedTarget, options: ScanOptions = {}): ScanPlan {
  const { only, budget, concurrency } = validateScanOptions(options);
  const settings: ScanSettings = {
    maxTokenMinutes: 60,
    jwtPublicKeyPem: undefined,
    jwtSecret: undefined,
    // the target's own origin and the platform's frontends (platform profile)
    trustedOrigins: [
      ...new Set([...(target.origin ? [target.origin] : []), ...target.platform.cors.trustedOrigins]),
    ],
    loginAttemptBudget: target.rateLimits.loginPerIpPerMinute + 5,
    sleepSeconds: 1,
    readOnly: target.production,
    ...options.settings,
  };
  return {
    target,
    probes: allProbes.filter((probe) => only.length === 0 || only.includes(probe.name)),
    budget,
    concurrency,
    settings,
    extraRoutes: options.extraRoutes ?? [],
  };
}

export async function runScan(
  plan: ScanPlan,
  log: (message: string) => void = () => {},
): Promise<ScanResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const http = new ScanHttp(plan.target, { budget: plan.budget, concurrency: plan.concurrency });
  await assertReachable(http);
  const session = new Session(http);
  const routes = await discoverRoutes(http, plan.extraRoutes);
  let cracked: Promise<string | undefined> | undefined;
  const crackSigningKey = () => {
    cracked ??= session
      .login('studentA')
      .then((token) => (token ? crackHmacSecret(token, readBundledSecrets()) : undefined));
    return cracked;
  };
  const context: ProbeContext = {
    target: plan.target,
    http,
    session,
    routes,
    settings: plan.settings,
    crackSigningKey,
    getSigningKey: async () => plan.settings.jwtSecret ?? (await crackSigningKey()),
    log,
  };
  const runProbe = async (probe: Probe): Promise<{ run: ProbeRun; findings: Finding[] }> => {
    const probeStarted = performance.now();
    const probeHttp = http.fork();
    log(`probe ${probe.name}: ${probe.description}`);
    let status: ProbeRun['status'] = 'ok';
    let notes: string[] = [];
    let notRun: NotRun[] = [];
    let found: Finding[] = [];
    try {
      const result = await probe.run({ ...context, http: probeHttp });
      found = result.findings;
      notes = result.notes;
      notRun = result.notRun ?? [];
      if (result.errors && result.errors.length > 0) {
        status = 'error';
        notes = [...result.errors.map((e) => `error: ${e}`), ...notes];
      }
    } catch (error) {
      if (error instanceof BudgetExceededError) {
        status = 'incomplete';
        notes = [`stopped: ${error.message}`];
      } else if (error instanceof PreflightError && error.code === 'E_TARGET_UNREACHABLE') {
        // a connection that broke for good in this probe (after the resends): the scan goes on when the target
        // still answers, and stops with E_TARGET_UNREACHABLE when it does not
        await assertReachable(http);
        status = 'error';
        notes = [`probe failed: ${error.message}`];
      } else {
        status = 'error';
        notes = [`probe failed: ${error instanceof Error ? error.message : String(error)}`];
      }
    }
    const requests = probeHttp.ownRequestCount;
    log(
      `probe ${probe.name}: ${found.length} finding(s), ${requests} requests${status === 'ok' ? '' : ` (${status})`}`,
    );
    return {
      run: {
        name: probe.name,
        status,
        findings: found.length,
        notes,
        notRun,
        durationMs: performance.now() - probeStarted,
        requests,
      },
      findings: found,
    };
  };
  // quick independent probes together; the timing-sensitive injection probe alone; rate-limit probes last, in order
  const together = plan.probes.filter((p) => p.phase === 'main' && p.name !== 'injection');
  const outcomes = await Promise.all(together.map(runProbe));
  for (const probe of plan.probes.filter((p) => p.name === 'injection' || p.phase === 'limits'))
    outcomes.push(await runProbe(probe));
  const order = (name: string) => plan.probes.findIndex((p) => p.name === name);
  outcomes.sort((a, b) => order(a.run.name) - order(b.run.name));
  const runs = outcomes.map((o) => o.run);
  const findings = outcomes.flatMap((o) => o.findings);
  return {
    target: {
      name: plan.target.name,
      baseUrl: plan.target.baseUrl,
      environment: plan.target.environment,
      production: plan.target.production,
    },
    startedAt,
    durationMs: performance.now() - started,
    requests: http.requestCount,
    budget: plan.budget,
    resent: http.resentCount,
    transientErrors: http.transientErrors,
    probes: runs,
    findings: sortFindings(dedupe(findings)),
    openapiUrl: routes.openapiUrl,
  };
}

/** One request to the profile's health route (resent after a transient socket error); exit 3 when nothing answers. */
async function assertReachable(http: ScanHttp): Promise<void> {
  const response = await http.send({
    method: http.target.platform.routes.health.method,
    path: http.target.platform.routes.health.path,
    timeoutMs: 10_000,
  });
  if (response.status === 0) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `Target "${http.target.name}" did not answer at ${new URL(http.target.baseUrl).origin} (timed out)`,
      {
        hint: http.target.sandbox
          ? 'is the sandbox running? `preflight sandbox status`'
          : `check targets.${http.target.name}.baseUrl and your network`,
      },
    );
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (seen.has(f.fingerprint)) return false;
    seen.add(f.fingerprint);
    return true;
  });
}
