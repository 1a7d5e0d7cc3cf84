/**
 * The connection-loss action of `preflight load run connection-loss`: at a set second of the test, terminate the
 * platform's database sessions (its role or application name from the platform profile, through the admin URL) and,
 * when a PgBouncer admin console is given, drop every pooler connection too (KILL + RESUME: a restart as the
 * application sees it), or, when pool.pgbouncerRestart names a local pgbouncer.ini, really restart PgBouncer
 * (pgbouncer-restart.ts). The verdict is read from the client's per-second series: the error burst after the drop and
 * the seconds until the error rate and p95 are back within the SLO.
 */
import { basename } from 'node:path';
import pg from 'pg';
import { PreflightError } from '../../src/core/errors.js';
import { withPgRetry } from '../../src/core/pg/retry.js';
import { redact } from '../../src/core/redact.js';
import type { ResolvedTarget } from '../../src/core/target.js';
import type { SeriesPoint } from '../engine/metrics/timeseries.js';
import { type PgbouncerRestartResult, readPgbouncerIni, restartPgbouncer } from './pgbouncer-restart.js';

export const CONNECTION_LOSS_SCENARIO = 'connection-loss';
const DEFAULT_AT_SECONDS = 4;

export interface ConnectionLossPlan {
  /** Seconds after the test started (setup excluded). */
  atSeconds: number;
  adminUrl: string;
  role: string;
  applicationName: string;
  poolerAdminUrl: string | undefined;
  /** The local pgbouncer.ini to restart (opt-in); without it the pooler's connections are dropped by KILL + RESUME. */
  pgbouncerRestart: { configFile: string } | undefined;
}

export interface ConnectionLossEvent {
  /** When the sessions were terminated, in seconds since the test started; undefined when it never fired. */
  atSeconds: number | undefined;
  terminated: number;
  /** Databases whose pooler connections were dropped (KILL + RESUME). */
  poolerDatabases: string[];
  /** What was done to the pooler: nothing, KILL + RESUME on its admin console, or a real restart. */
  poolerAction: 'none' | 'kill-resume' | 'restart';
  /** The restart's pids and downtime, when PgBouncer was restarted. */
  poolerRestart?: PgbouncerRestartResult;
  errors: string[];
}

export interface ConnectionLossThresholds {
  /** Most seconds from the drop until the per-second error rate and p95 are within the SLO again. */
  recoverySeconds: number;
  /** Most failed requests over the run, as a ratio. */
  failedRate: number;
  p95Ms: number;
  errorRate: number;
}

export interface ConnectionLossReport {
  event: ConnectionLossEvent;
  thresholds: ConnectionLossThresholds;
  /** Failed requests from the second of the drop on, and the seconds from the first to the end of the last. */
  burst: { failed: number; seconds: number; firstT: number | undefined; lastT: number | undefined };
  /** Seconds from the drop until the series stays within the SLO; undefined when it never does. */
  recoverySeconds: number | undefined;
  failedRate: number;
  ok: boolean;
  reasons: string[];
}

export function isConnectionLossScenario(scenario: string): boolean {
  return basename(scenario).replace(/\.(ts|js)$/, '') === CONNECTION_LOSS_SCENARIO;
}

/** What the run needs, checked before it starts: the admin URL, whose sessions to cut, and when. */
export function planConnectionLoss(
  target: ResolvedTarget | undefined,
  env: Record<string, string>,
  poolerAdminUrl?: string,
  pgbouncerRestart?: { configFile: string },
): ConnectionLossPlan {
  const adminUrl = target?.database.adminUrl;
  if (!target || !adminUrl) {
    throw new PreflightError('E_CONFIG', 'connection-loss needs the target database admin URL', {
      hint: `set targets.${target?.name ?? '<name>'}.database.adminUrlEnv and export that variable (pg_terminate_backend needs an admin role)`,
    });
  }
  const { appRole, appApplicationName } = target.platform.database;
  const raw = env.CONNECTION_LOSS_AT;
  const atSeconds = raw === undefined || raw === '' ? DEFAULT_AT_SECONDS : Number(raw);
  if (!Number.isFinite(atSeconds) || atSeconds < 1) {
    throw new PreflightError(
      'E_USAGE',
      `Expected \`CONNECTION_LOSS_AT\` to be seconds >= 1, got \`${raw}\``,
      {
        hint: 'e.g. -e CONNECTION_LOSS_AT=4 (seconds after the test started)',
      },
    );
  }
  // a restart that cannot work is a config error before the run, not a failure in the middle of it
  if (pgbouncerRestart) readPgbouncerIni(pgbouncerRestart.configFile);
  return {
    atSeconds,
    adminUrl,
    role: appRole,
    applicationName: appApplicationName,
    poolerAdminUrl,
    pgbouncerRestart,
  };
}

const terminateSql = `SELECT count(*)::int AS n FROM (
  SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
   WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
     AND CASE WHEN $1 = '' AND $2 = ''
              -- neither set: every client session of this database but preflight's own
              THEN datname = current_database() AND coalesce(application_name, '') NOT LIKE 'preflight%'
              ELSE ($1 <> '' AND usename = $1) OR ($2 <> '' AND application_name = $2) END
) t WHERE done`;

/**
 * Terminates every session of the role or application name (neither set: every client session of the admin URL's
 * database but preflight's own); returns how many were terminated.
 */
export async function terminateAppSessions(
  adminUrl: string,
  match: { role: string; applicationName: string },
): Promise<number> {
  return withPgRetry(
    async () => {
      const client = new pg.Client({
        connectionString: adminUrl,
        application_name: 'preflight-connection-loss',
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ n: number }>(terminateSql, [match.role, match.applicationName]);
        return rows[0]?.n ?? 0;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { operation: 'Terminating the application sessions', maxElapsedMs: 5000 },
  );
}

/** Drops every client and server connection of each pooled database (PgBouncer admin console: KILL, then RESUME). */
export async function restartPoolerConnections(poolerAdminUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: poolerAdminUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SHOW DATABASES');
    const names = rows.map((r) => r.name).filter((n) => n !== 'pgbouncer' && /^[\w.-]+$/.test(n));
    for (const name of names) await client.query(`KILL ${name}`);
    for (const name of names) await client.query(`RESUME ${name}`);
    return names;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface ConnectionLossAction {
  /** Called with the test's start (epoch ms) once it is known; schedules the drop. */
  arm(testStartMs: number): void;
  /** Cancels a drop that has not fired and waits for one in progress. */
  stop(): Promise<ConnectionLossEvent>;
}

export function startConnectionLoss(
  plan: ConnectionLossPlan,
  onNotice: (message: string) => void = () => undefined,
): ConnectionLossAction {
  const event: ConnectionLossEvent = {
    atSeconds: undefined,
    terminated: 0,
    poolerDatabases: [],
    poolerAction: 'none',
    errors: [],
  };
  let timer: NodeJS.Timeout | undefined;
  let firing: Promise<void> | undefined;
  let armed = false;
  const fire = async (testStartMs: number) => {
    event.atSeconds = Math.round(Date.now() - testStartMs) / 1000;
    const work: Array<Promise<void>> = [
      terminateAppSessions(plan.adminUrl, plan).then(
        (n) => {
          event.terminated = n;
        },
        (error) => void event.errors.push(`terminate: ${redact((error as Error).message)}`),
      ),
    ];
    const poolerFailed = (error: unknown) =>
      void event.errors.push(`pooler: ${redact((error as Error).message)}`);
    if (plan.pgbouncerRestart) {
      event.poolerAction = 'restart';
      work.push(
        restartPgbouncer(plan.pgbouncerRestart.configFile, { adminUrl: plan.poolerAdminUrl }).then(
          (result) => {
            event.poolerRestart = result;
          },
          poolerFailed,
        ),
      );
    } else if (plan.poolerAdminUrl) {
      event.poolerAction = 'kill-resume';
      work.push(
        restartPoolerConnections(plan.poolerAdminUrl).then((names) => {
          event.poolerDatabases = names;
        }, poolerFailed),
      );
    }
    await Promise.all(work);
    onNotice(`connection-loss at ${event.atSeconds}s: ${describePoolerAction(event)}`);
  };
  return {
    arm(testStartMs) {
      if (armed) return;
      armed = true;
      const dueMs = testStartMs + plan.atSeconds * 1000;
      // Timers run on the monotonic clock and may fire a millisecond before Date.now() reaches the due time;
      // wait out the rest so the drop is never reported (and analysed) as happening before CONNECTION_LOSS_AT.
      const wait = () => {
        const delay = dueMs - Date.now();
        if (delay > 0) {
          timer = setTimeout(wait, delay);
          return;
        }
        firing = fire(testStartMs);
      };
      timer = setTimeout(wait, Math.max(0, dueMs - Date.now()));
    },
    async stop() {
      clearTimeout(timer);
      await firing;
      return event;
    },
  };
}

/** Pure: the burst, the recovery time and the verdict from the per-second series of the run. */
export function analyzeConnectionLoss(
  series: SeriesPoint[],
  event: ConnectionLossEvent,
  thresholds: ConnectionLossThresholds,
  /** Requests answered 429 (the scenario's `connection_loss_rate_limited` counter). */
  counts: { rateLimited?: number } = {},
): ConnectionLossReport {
  const reasons: string[] = [];
  const totals = { requests: 0, failed: 0 };
  for (const p of series) {
    totals.requests += p.rps;
    totals.failed += Math.round(p.rps * p.errorRate);
  }
  const failedRate = totals.requests > 0 ? totals.failed / totals.requests : 0;
  const burst: ConnectionLossReport['burst'] = { failed: 0, seconds: 0, firstT: undefined, lastT: undefined };
  let recoverySeconds: number | undefined;
  if (event.atSeconds === undefined) {
    reasons.push(
      'the run ended before the connections were dropped (make the run longer than CONNECTION_LOSS_AT)',
    );
  } else {
    const dropSecond = Math.floor(event.atSeconds);
    const after = [...series].sort((a, b) => a.t - b.t).filter((p) => p.t >= dropSecond);
    for (const p of after) {
      const failed = Math.round(p.rps * p.errorRate);
      if (failed === 0) continue;
      burst.failed += failed;
      burst.firstT ??= p.t;
      burst.lastT = p.t;
    }
    if (burst.firstT !== undefined && burst.lastT !== undefined)
      burst.seconds = burst.lastT + 1 - burst.firstT;
    const within = (p: SeriesPoint) =>
      p.rps === 0 || (p.errorRate <= thresholds.errorRate && p.p95 <= thresholds.p95Ms);
    let firstGood: number | undefined;
    for (let i = after.length - 1; i >= 0 && within(after[i] as SeriesPoint); i--) firstGood = after[i]?.t;
    // seconds without a single answer prove nothing: a platform that hangs after the drop has not recovered
    if (after.some((p) => p.rps > 0) && firstGood !== undefined)
      recoverySeconds = Math.max(0, Math.round((firstGood - event.atSeconds) * 10) / 10);
    if (event.terminated === 0 && event.poolerDatabases.length === 0 && !event.poolerRestart)
      reasons.push(
        "no database session was terminated: check that the admin URL names the API's database, and platform.database.appRole / appApplicationName (when set) against pg_stat_activity",
      );
    if (recoverySeconds === undefined)
      reasons.push('the error rate or p95 was still outside the SLO when the run ended');
    else if (recoverySeconds > thresholds.recoverySeconds)
      reasons.push(`recovery took ${recoverySeconds}s (at most ${thresholds.recoverySeconds}s)`);
  }
  reasons.push(...event.errors);
  if (failedRate > thresholds.failedRate) {
    const limited = counts.rateLimited ?? 0;
    reasons.push(
      `${formatPercent(failedRate)} of requests failed (${totals.failed} of ${totals.requests}; at most ${formatPercent(thresholds.failedRate)})` +
        (limited > 0
          ? `; ${limited} were answered 429 (rate limited), not failed by the connection loss: configure the target's rateLimitBypass`
          : ''),
    );
  }
  return { event, thresholds, burst, recoverySeconds, failedRate, ok: reasons.length === 0, reasons };
}

function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 10_000) / 100}%`;
}

/** What the drop did: the sessions terminated and the pooler's KILL + RESUME or restart. */
export function describePoolerAction(event: ConnectionLossEvent): string {
  const sessions = `${event.terminated} database session(s) terminated`;
  if (event.poolerAction === 'kill-resume')
    return `${sessions}, pooler connections of ${event.poolerDatabases.join(', ') || 'no database'} dropped (PgBouncer KILL + RESUME)`;
  if (event.poolerAction === 'restart') {
    const r = event.poolerRestart;
    return r
      ? `${sessions}, PgBouncer restarted (${r.stoppedBy}, pid ${r.oldPid ?? '?'} -> ${r.newPid ?? '?'}, down ${r.downtimeMs} ms)`
      : `${sessions}, PgBouncer restart failed`;
  }
  return sessions;
}

/** One line per fact, for the launch report. */
export function describeConnectionLoss(report: ConnectionLossReport): string[] {
  const { event, burst } = report;
  const lines = [
    event.atSeconds === undefined
      ? 'connections were never dropped'
      : `dropped at ${event.atSeconds}s: ${describePoolerAction(event)}`,
    `error burst: ${burst.failed} failed request(s) over ${burst.seconds}s`,
    `recovery: ${report.recoverySeconds === undefined ? 'not within the run' : `${report.recoverySeconds}s`} (at most ${report.thresholds.recoverySeconds}s); failed requests ${formatPercent(report.failedRate)} (at most ${formatPercent(report.thresholds.failedRate)})`,
  ];
  return lines;
}
