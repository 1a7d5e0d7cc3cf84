/** Each sandbox weakness switch and the rule that must report it (with evidence). */
import type { RuleId } from '../rules.js';

export const expectedRule: Record<string, RuleId> = {
  'cors-reflect-origin': 'CORS-REFLECT-CREDENTIALS',
  'jwt-alg-none': 'JWT-ALG-NONE',
  'jwt-weak-secret': 'JWT-WEAK-SECRET',
  'jwt-no-expiry-check': 'JWT-EXPIRED-ACCEPTED',
  'verbose-errors': 'VERBOSE-ERRORS',
  'sqli-search': 'SQLI-TIME',
  'idor-bookings': 'AUTHZ-BOLA',
  'mass-assignment': 'AUTHZ-MASS-ASSIGNMENT',
  'docs-exposed': 'EXPOSED-API-DOCS',
  'metrics-public': 'EXPOSED-METRICS',
  'no-login-throttle': 'AUTHN-NO-LOGIN-THROTTLE',
};
