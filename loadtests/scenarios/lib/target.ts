// What every launch scenario reads from __ENV: the API base, the headers the platform needs, numbers, accounts.
import http, { type RefinedResponse } from 'k6/http';
import { platform, routePath } from './platform.js';

export const apiBase: string = (
  __ENV.API_BASE ?? `${__ENV.BASE_URL ?? 'http://127.0.0.1:8000'}${platform.apiPrefix}`
).replace(/\/+$/, '');

export function readNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`Expected ${name} to be a number, got \`${raw}\``);
  return value;
}

export function readString(name: string, fallback: string): string {
  const raw = __ENV[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** Origin (CSRF), JSON accept, the bypass header unless `limited`, and a bearer token when given. */
export function buildHeaders(options: { token?: string; limited?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (__ENV.ORIGIN) headers.Origin = __ENV.ORIGIN;
  if (!options.limited && __ENV.BYPASS_HEADER && __ENV.BYPASS_TOKEN)
    headers[__ENV.BYPASS_HEADER] = __ENV.BYPASS_TOKEN;
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  return headers;
}

export function readJson<T>(response: RefinedResponse): T | undefined {
  try {
    return response.json() as T;
  } catch {
    return undefined;
  }
}

export interface Account {
  email: string;
  password: string;
}

/** The configured test students: LOAD_STUDENT_EMAILS (comma separated, shared LOAD_STUDENT_PASSWORD), else STUDENT_A/B. */
export function readTestStudents(): Account[] {
  const listed = (__ENV.LOAD_STUDENT_EMAILS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (listed.length > 0 && __ENV.LOAD_STUDENT_PASSWORD)
    return listed.map((email) => ({ email, password: __ENV.LOAD_STUDENT_PASSWORD as string }));
  const accounts: Account[] = [];
  for (const prefix of ['STUDENT_A', 'STUDENT_B']) {
    const email = __ENV[`${prefix}_EMAIL`];
    const password = __ENV[`${prefix}_PASSWORD`];
    if (email && password) accounts.push({ email, password });
  }
  return accounts;
}

/** Logs in with the form route; returns the access token (the access cookie, `sid` by default) or undefined. */
export async function logIn(
  account: Account,
  options: { limited?: boolean } = {},
): Promise<string | undefined> {
  const route = platform.routes.login;
  const response = await http.asyncRequest(
    route.method,
    `${apiBase}${routePath('login')}`,
    { [platform.auth.usernameField]: account.email, [platform.auth.passwordField]: account.password },
    { headers: buildHeaders(options), tags: { name: 'login' } },
  );
  if (response.status !== 200) return undefined;
  return response.cookies[__ENV.ACCESS_COOKIE ?? 'sid']?.[0]?.value;
}
