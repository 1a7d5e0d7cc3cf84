/** What every probe module receives and returns. */
import type { ResolvedTarget } from '../src/core/target.js';
import type { Finding } from './findings.js';
import type { ScanHttp } from './http.js';
import type { RouteCatalog } from './routes.js';
import type { ProbeName } from './rules.js';
import type { Session } from './session.js';

export interface ScanSettings {
  /** Longest accepted access-token lifetime in minutes. */
  maxTokenMinutes: number;
  /** PEM public key for the RS/HS confusion check (only run when set). */
  jwtPublicKeyPem: string | undefined;
  /** Known HS256 signing secret (white-box mode), used to forge expired/foreign-audience tokens. */
  jwtSecret: string | undefined;
  /** Origins the CORS allowlist may legitimately contain. */
  trustedOrigins: string[];
  /** Most login attempts the brute-force probe may send. */
  loginAttemptBudget: number;
  /** Delay asked of pg_sleep in the time-based SQL injection check, in seconds. */
  sleepSeconds: number;
  /** Skip probes that create and cancel objects (bookings) or change profile fields and restore them. */
  readOnly: boolean;
}

export interface ProbeContext {
  target: ResolvedTarget;
  http: ScanHttp;
  session: Session;
  routes: RouteCatalog;
  settings: ScanSettings;
  /** The HS256 secret recovered from a captured token with the bundled wordlist (computed once). */
  crackSigningKey(): Promise<string | undefined>;
  /** The configured secret, else the cracked one: what claim-enforcement checks sign with. */
  getSigningKey(): Promise<string | undefined>;
  /** Progress line (stderr). */
  log(message: string): void;
}

/** A check that did not run, and why (a missing route, missing data, a plain-http target...): never a finding. */
export interface NotRun {
  /** Short name of the check ("HSTS", "BOLA"). */
  check: string;
  reason: string;
}

export interface ProbeResult {
  findings: Finding[];
  /** What the probe observed beside its findings (shown in reports). */
  notes: string[];
  /** Checks that could not run and why (table, Markdown, JSON, JUnit skipped, SARIF notifications). */
  notRun?: NotRun[];
  /** What went wrong and needs a person (a test booking left active): the probe ends as `error`. */
  errors?: string[];
}

/** True for a 2xx answer. */
export function is2xx(response: { status: number }): boolean {
  return response.status >= 200 && response.status < 300;
}

/** True when a response says the route is not there (404 or 405): a check on it did not run, it found nothing. */
export function isMissingRoute(response: { status: number }): boolean {
  return response.status === 404 || response.status === 405;
}

export interface Probe {
  name: ProbeName;
  description: string;
  /** Probes that must run without the rate-limit bypass run last, so their limits do not block the others. */
  phase: 'main' | 'limits';
  run(context: ProbeContext): Promise<ProbeResult>;
}
