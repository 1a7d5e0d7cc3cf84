/** Logs in as the configured test accounts (once each) through the scanner's HTTP layer. */
import { PreflightError } from '../src/core/errors.js';
import { extractAccessToken } from '../src/core/http.js';
import type { AccountRole } from '../src/core/target.js';
import type { ScanHttp } from './http.js';

export class Session {
  private readonly http: ScanHttp;
  private readonly tokens = new Map<AccountRole, Promise<string | undefined>>();

  constructor(http: ScanHttp) {
    this.http = http;
  }

  /** The access token of a test account, or undefined when the target has no such account configured. */
  login(role: AccountRole): Promise<string | undefined> {
    let pending = this.tokens.get(role);
    if (!pending) {
      pending = this.loginOnce(role);
      this.tokens.set(role, pending);
    }
    return pending;
  }

  private async loginOnce(role: AccountRole): Promise<string | undefined> {
    const target = this.http.target;
    const account = target.accounts[role];
    if (!account?.password) return undefined;
    const response = await this.http.send({
      method: target.platform.routes.login.method,
      path: target.auth.loginPath,
      form: {
        [target.platform.auth.usernameField]: account.email,
        [target.platform.auth.passwordField]: account.password,
      },
    });
    const token = extractAccessToken(response, target.auth.cookieName);
    if (response.status >= 400 || !token) {
      throw new PreflightError(
        'E_CHECK_FAILED',
        `Login as ${role} (${account.email}) failed with HTTP ${response.status}`,
        {
          hint: 'check the account exists on the target and its password variable is right',
        },
      );
    }
    return token;
  }
}
