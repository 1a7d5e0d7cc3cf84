/** The sandbox's weakness switches: hardened is the default; each switch re-creates one known flaw for a gate to find. */
import { PreflightError } from '../core/errors.js';

export interface Weakness {
  name: string;
  description: string;
  /** Which capability's gate is tested against it. */
  usedBy: string;
}

export const weaknesses = [
  {
    name: 'nls-category-match',
    description:
      'search matches at category level: "piano under $80" returns every Music instructor (the platform bug)',
    usedBy: 'issue 2: search-check',
  },
  {
    name: 'double-booking',
    description: 'no advisory lock, no exclusion constraint, non-atomic check-then-insert with a short delay',
    usedBy: 'load: booking race scenario',
  },
  {
    name: 'no-rate-limit',
    description: 'no global or per-route rate limits',
    usedBy: 'load + security: rate-limit probes',
  },
  {
    name: 'rate-limit-ip-spoof',
    description:
      'client IP from CF-Connecting-IP, else the first X-Forwarded-For, else X-Real-IP (as the platform does)',
    usedBy: 'security: rate-limit spoofing probe',
  },
  {
    name: 'cors-reflect-origin',
    description: 'reflects any Origin (including `null`) with Access-Control-Allow-Credentials: true',
    usedBy: 'security: CORS probe',
  },
  {
    name: 'jwt-alg-none',
    description: 'accepts unsigned `alg: none` tokens in any case spelling',
    usedBy: 'security: JWT probes',
  },
  {
    name: 'jwt-weak-secret',
    description: 'signs and verifies tokens with the weak secret `changeme`',
    usedBy: 'security: JWT probes',
  },
  { name: 'jwt-no-expiry-check', description: 'accepts expired tokens', usedBy: 'security: JWT probes' },
  {
    name: 'verbose-errors',
    description: '500 responses include the stack trace and the SQL',
    usedBy: 'security: error-disclosure probe',
  },
  {
    name: 'sqli-search',
    description:
      'the search `region` and `subcategory_id` parameters are concatenated into SQL (error, boolean and time based)',
    usedBy: 'security: SQL injection probe',
  },
  {
    name: 'idor-bookings',
    description: 'any user can read or cancel any booking by id',
    usedBy: 'security: IDOR probe',
  },
  {
    name: 'mass-assignment',
    description: 'PATCH /users/me accepts role/is_admin; POST /bookings accepts status/hourly_rate',
    usedBy: 'security: mass-assignment probe',
  },
  {
    name: 'docs-exposed',
    description: '/docs, /redoc and /openapi.json are served (hardened: 404)',
    usedBy: 'security: exposure probe',
  },
  {
    name: 'debug-route',
    description:
      '/sentry-debug (and /api/v1/sentry-debug) answers 500 by raising an error, as the platform does everywhere',
    usedBy: 'security: exposure probe',
  },
  {
    name: 'metrics-public',
    description: 'metrics endpoints answer without authentication',
    usedBy: 'security + monitoring',
  },
  {
    name: 'no-db-retry',
    description:
      'no pool pre-ping and no retry: a dropped database connection fails the request that uses it (hardened: reconnect and retry once)',
    usedBy: 'load: connection-loss scenario',
  },
  {
    name: 'no-login-throttle',
    description: 'no login rate limits and no lockout',
    usedBy: 'security: brute-force probe',
  },
] as const satisfies readonly Weakness[];

export type WeaknessName = (typeof weaknesses)[number]['name'];

export const weaknessNames: readonly WeaknessName[] = weaknesses.map((w) => w.name);

/** Validates switch names; unknown ones are a usage error naming them and listing the valid ones. */
export function validateWeaknesses(names: readonly string[] = []): WeaknessName[] {
  const cleaned = [...new Set(names.map((n) => n.trim()).filter(Boolean))];
  const unknown = cleaned.filter((n) => !(weaknessNames as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new PreflightError(
      'E_USAGE',
      `Unknown weakness switch${unknown.length > 1 ? 'es' : ''}: ${unknown.join(', ')}`,
      {
        hint: `valid switches: ${weaknessNames.join(', ')}`,
      },
    );
  }
  return cleaned as WeaknessName[];
}

/** A set of enabled switches with a one-word check. */
export interface Weaknesses {
  has(name: WeaknessName): boolean;
  list: WeaknessName[];
}

export function createWeaknesses(names: readonly string[] = []): Weaknesses {
  const list = validateWeaknesses(names);
  const set = new Set<WeaknessName>(list);
  return { has: (name) => set.has(name), list };
}
