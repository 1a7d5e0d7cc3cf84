/** The built-in `sandbox` target, read from the running sandbox's state file (the app registers it with core). */
import { validateConfig } from '../core/config/load.js';
import { PreflightError } from '../core/errors.js';
import { getSandboxDir } from '../core/home.js';
import { registerSecret } from '../core/redact.js';
import {
  type AccountRole,
  createTargetFromConfig,
  type ResolvedAccount,
  type ResolvedTarget,
  SANDBOX_TARGET,
} from '../core/target.js';
import { readSandboxState } from './state.js';

export function resolveSandboxTarget(sandboxDir = getSandboxDir()): ResolvedTarget {
  const found = readSandboxState(sandboxDir);
  if (!found?.alive) {
    throw new PreflightError(
      'E_TARGET_UNREACHABLE',
      `The sandbox is not running${found ? ' (stale state file)' : ''}`,
      {
        hint: 'start it with `preflight sandbox up --detach`',
      },
    );
  }
  const s = found.state;
  for (const account of Object.values(s.accounts)) registerSecret(account.password);
  registerSecret(s.rateLimitBypass.token);
  registerSecret(s.loadTestStudents?.password);
  registerSecret(s.metricsAuth?.password);
  const defaults = validateConfig({ targets: { sandbox: { baseUrl: s.baseUrl } } }).targets.sandbox!;
  const accounts: Partial<Record<AccountRole, ResolvedAccount>> = {};
  for (const [role, a] of Object.entries(s.accounts) as Array<
    [AccountRole, { email: string; password: string }]
  >)
    accounts[role] = { email: a.email, password: a.password, passwordEnv: undefined };
  return {
    ...createTargetFromConfig(
      SANDBOX_TARGET,
      { ...defaults, environment: 'sandbox', auth: { ...defaults.auth, style: 'bearer' } },
      {},
    ),
    accounts,
    origin: s.origin,
    rateLimitBypass: s.rateLimitBypass,
    database: { readonlyUrl: s.db.readonlyUrl, adminUrl: s.db.adminUrl },
    sandbox: { pid: s.pid, loadTestStudents: s.loadTestStudents, metricsAuth: s.metricsAuth },
  };
}
