/** What a scenario learns about its target through __ENV (k6 and native alike). Secrets are registered for redaction. */
import { registerSecret } from '../../../src/core/redact.js';
import type { ResolvedTarget } from '../../../src/core/target.js';

const roleEnv: Record<string, string> = {
  studentA: 'STUDENT_A',
  studentB: 'STUDENT_B',
  instructor: 'INSTRUCTOR',
  admin: 'ADMIN',
};

/** BASE_URL, API_BASE, ORIGIN, AUTH_STYLE, LOGIN_PATH, PLATFORM_PROFILE, BYPASS_HEADER/TOKEN, <ROLE>_EMAIL/_PASSWORD. */
export function getTargetEnv(target: ResolvedTarget): Record<string, string> {
  const env: Record<string, string> = {
    TARGET_NAME: target.name,
    TARGET_ENVIRONMENT: target.environment,
    BASE_URL: target.baseUrl,
    API_BASE: target.apiBase,
    AUTH_STYLE: target.auth.style,
    LOGIN_PATH: target.auth.loginPath,
    ME_PATH: target.auth.mePath,
    ACCESS_COOKIE: target.auth.cookieName,
    // the whole platform profile: scenarios read routes, fields and codes from it (loadtests/scenarios/lib/platform.ts)
    PLATFORM_PROFILE: JSON.stringify(target.platform),
  };
  if (target.origin) env.ORIGIN = target.origin;
  if (target.rateLimitBypass) {
    env.BYPASS_HEADER = target.rateLimitBypass.header;
    env.BYPASS_TOKEN = target.rateLimitBypass.token;
    registerSecret(target.rateLimitBypass.token);
  }
  for (const [role, account] of Object.entries(target.accounts)) {
    const prefix = roleEnv[role];
    if (!prefix || !account) continue;
    env[`${prefix}_EMAIL`] = account.email;
    if (account.password) {
      env[`${prefix}_PASSWORD`] = account.password;
      registerSecret(account.password);
    }
  }
  return env;
}
