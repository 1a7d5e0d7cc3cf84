/**
 * One redaction helper for everything that is logged or reported: passwords in URLs,
 * bearer tokens, JWTs, cookies, API keys and any registered secret value.
 */
const MASK = '***';
const registeredSecrets = new Set<string>();

/** Registers a secret value (from the environment) so it is masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) registeredSecrets.add(value);
}

/** A placeholder in a hint such as `export PREFLIGHT_STUDENT_A_PASSWORD=...` is not a value to hide. */
const notPlaceholder = String.raw`(?!\.\.\.(?:[\s&;'"]|$))`;

type Replacement = string | ((match: string, ...groups: string[]) => string);

const patterns: Array<[RegExp, Replacement]> = [
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@/\s]+)(@)/gi, `$1${MASK}$3`],
  // password=... in connection strings and query strings
  [
    new RegExp(
      String.raw`((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|sig|signature)=)${notPlaceholder}([^&\s;'"]+)`,
      'gi',
    ),
    `$1${MASK}`,
  ],
  // Authorization headers
  [
    /(\b(?:authorization|proxy-authorization)\s*[:=]\s*"?(?:bearer|basic|token)?\s*)([^\s",;]+)/gi,
    `$1${MASK}`,
  ],
  [/(\bbearer\s+)([A-Za-z0-9._~+/-]+=*)/gi, `$1${MASK}`],
  // JWTs anywhere
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK],
  // Cookie headers: every value of a Cookie header, the cookie's value of a Set-Cookie header (names stay readable)
  [/(\bset-cookie\s*:\s*[^=;\s]+=)([^;\s,"]+)/gi, `$1${MASK}`],
  [/(?<!-)\bcookie\s*:[^\r\n]*/gi, (header) => header.replace(/(=)([^;\s,"]+)/g, `$1${MASK}`)],
  // Cookie values: sid=..., rid=..., session=...
  [/(\b(?:sid|rid|session|sessionid|csrftoken)=)([^;\s,"]+)/gi, `$1${MASK}`],
  // JSON / YAML fields that hold secrets
  [
    new RegExp(
      String.raw`("?(?:password|secret|token|access_token|refresh_token|secret_access_key|api_key|webhook_url|private_key)"?\s*[:=]\s*"?)${notPlaceholder}([^"\s,}&;]+)`,
      'gi',
    ),
    `$1${MASK}`,
  ],
  // age secret keys and AWS keys
  [/AGE-SECRET-KEY-1[0-9A-Z]+/g, `AGE-SECRET-KEY-${MASK}`],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, `$1${MASK}`],
  // Slack webhooks
  [/(hooks\.slack\.com\/services\/)[^\s"']+/g, `$1${MASK}`],
];

/** Masks secrets in a string. */
export function redact(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join(MASK);
  for (const [pattern, replacement] of patterns) {
    out =
      typeof replacement === 'string'
        ? out.replace(pattern, replacement)
        : out.replace(pattern, (match, ...groups) => replacement(match, ...(groups as string[])));
  }
  return out;
}

/** Masks the password of a connection URL, keeping the rest readable. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key|sig/i.test(key)) parsed.searchParams.set(key, MASK);
    }
    return redact(parsed.toString().replace(/%2A%2A%2A/g, MASK));
  } catch {
    return redact(url);
  }
}

const secretKeyPattern = /pass|secret|token|authorization|cookie|api[_-]?key|private|credential|webhook/i;
/** Keys that hold a NAME (a variable, a cookie, a form field), never the secret: `passwordEnv`, `cookieName`, `passwordField`. */
const nameKeyPattern = /env$|var$|variable|names?$|fields?$/i;

/** Deep-copies a value with secret-looking keys masked and every string redacted. */
export function redactValue<T>(value: T): T {
  return redactInner(value, undefined) as T;
}

function redactInner(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key && secretKeyPattern.test(key) && !nameKeyPattern.test(key)) return MASK;
    return redact(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactInner(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactInner(v, k);
    return out;
  }
  return value;
}
