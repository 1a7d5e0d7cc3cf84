/** What every probe module receives and returns. */
import type { ResolvedTarget } from '../src/target.js';
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

export interface ProbeResult {
  findings: Finding[];
  /** Checks that could not run and why (shown in reports). */
  notes: string[];
}

export interface Probe {
  name: ProbeName;
  description: string;
  /** Probes that must run without the rate-limit bypass run last, so their limits do not block the others. */
  phase: 'main' | 'limits';
  run(context: ProbeContext): Promise<ProbeResult>;
}
