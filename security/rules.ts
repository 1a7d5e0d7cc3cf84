/** The rule catalog: every finding a probe can report, with its OWASP/CWE mapping and a FastAPI/Starlette remediation. */
import type { Severity } from './severity.js';

export interface Rule {
  title: string;
  category: ProbeName;
  severity: Severity;
  owaspApi: string;
  owasp2021: string;
  cwe: string;
  description: string;
  remediation: string;
}

export const probeNames = [
  'headers',
  'cors',
  'jwt',
  'authn',
  'authz',
  'injection',
  'resource',
  'exposure',
] as const;
export type ProbeName = (typeof probeNames)[number];

const API1 = 'API1:2023 Broken Object Level Authorization';
const API2 = 'API2:2023 Broken Authentication';
const API3 = 'API3:2023 Broken Object Property Level Authorization';
const API4 = 'API4:2023 Unrestricted Resource Consumption';
const API5 = 'API5:2023 Broken Function Level Authorization';
const API8 = 'API8:2023 Security Misconfiguration';
const API9 = 'API9:2023 Improper Inventory Management';
const A01 = 'A01:2021 Broken Access Control';
const A02 = 'A02:2021 Cryptographic Failures';
const A03 = 'A03:2021 Injection';
const A04 = 'A04:2021 Insecure Design';
const A05 = 'A05:2021 Security Misconfiguration';
const A07 = 'A07:2021 Identification and Authentication Failures';

const jwtVerify =
  'Decode tokens only with `jwt.decode(token, SECRET_KEY, algorithms=["HS256"], audience=AUD, issuer=ISS, options={"require": ["exp", "iat", "sub", "aud", "iss"]})` (PyJWT) in the one FastAPI dependency that authenticates requests; never pass the algorithm from the token header and never fall back to unverified decoding.';

export const rules = {
  'HDR-HSTS-MISSING': {
    title: 'Strict-Transport-Security missing or short on an https response',
    category: 'headers',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-319',
    description:
      'Without HSTS a browser may reach the API over plain HTTP, where tokens and cookies can be intercepted.',
    remediation:
      'Add a Starlette middleware (or set it at the proxy) that sends `Strict-Transport-Security: max-age=63072000; includeSubDomains; preload` on every response.',
  },
  'HDR-NOSNIFF-MISSING': {
    title: 'X-Content-Type-Options: nosniff missing',
    category: 'headers',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-693',
    description: 'Browsers may MIME-sniff API responses and render them as HTML or script.',
    remediation:
      'Send `X-Content-Type-Options: nosniff` from a security-headers middleware on every response.',
  },
  'HDR-CSP-MISSING': {
    title: 'Content-Security-Policy with frame-ancestors missing',
    category: 'headers',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-1021',
    description:
      "A JSON API should forbid rendering and framing: `default-src 'none'; frame-ancestors 'none'`.",
    remediation:
      "Send `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` from the security-headers middleware.",
  },
  'HDR-REFERRER-POLICY-MISSING': {
    title: 'Referrer-Policy missing',
    category: 'headers',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-200',
    description: 'URLs with identifiers may leak to third parties through the Referer header.',
    remediation:
      'Send `Referrer-Policy: no-referrer` (or strict-origin-when-cross-origin) from the security-headers middleware.',
  },
  'HDR-CACHE-CONTROL-AUTH': {
    title: 'Authenticated response may be cached',
    category: 'headers',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-525',
    description:
      'Responses with personal data lack `Cache-Control: no-store`, so shared caches or the browser may keep them.',
    remediation:
      'Set `Cache-Control: no-store` (and `Pragma: no-cache`) on every response of a route that depends on the current user, for example in the auth dependency via `response.headers`.',
  },
  'HDR-SERVER-BANNER': {
    title: 'Server or framework version disclosed',
    category: 'headers',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-497',
    description:
      'Server/X-Powered-By headers name the software and version, which helps attackers pick exploits.',
    remediation:
      'Run uvicorn with `--no-server-header` (or `server_header=False`) and strip `X-Powered-By`/`Server` at the proxy.',
  },
  'TLS-PLAINTEXT': {
    title: 'API served over plain HTTP',
    category: 'headers',
    severity: 'high',
    owaspApi: API8,
    owasp2021: A02,
    cwe: 'CWE-319',
    description: 'Tokens, passwords and personal data cross the network unencrypted.',
    remediation:
      'Serve only HTTPS (Render and most platforms terminate TLS for you) and redirect HTTP to HTTPS at the edge.',
  },
  'TLS-OLD-VERSION': {
    title: 'Deprecated TLS version accepted',
    category: 'headers',
    severity: 'high',
    owaspApi: API8,
    owasp2021: A02,
    cwe: 'CWE-326',
    description: 'The server completes handshakes with TLS 1.0 or 1.1, which are deprecated (RFC 8996).',
    remediation:
      'Set the minimum TLS version to 1.2 at the load balancer or reverse proxy in front of uvicorn.',
  },
  'TLS-CERT-EXPIRY': {
    title: 'TLS certificate expired or expiring soon',
    category: 'headers',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A02,
    cwe: 'CWE-298',
    description: 'The certificate expires within 30 days (or already has); clients will refuse the API.',
    remediation: 'Renew the certificate and automate renewal (ACME) with an alert 30 days before expiry.',
  },
  'CORS-REFLECT-CREDENTIALS': {
    title: 'CORS reflects untrusted origins with credentials',
    category: 'cors',
    severity: 'high',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-942',
    description:
      'An origin outside the allowlist gets `Access-Control-Allow-Origin: <origin>` with `Access-Control-Allow-Credentials: true`, so any web page can read authenticated responses of a logged-in user.',
    remediation:
      'Use `CORSMiddleware(allow_origins=[exact production origins], allow_credentials=True)`; avoid `allow_origin_regex` or anchor it (`^https://[a-z0-9-]+\\.vercel\\.app$` only for preview projects you own); never reflect the request Origin.',
  },
  'CORS-NULL-ORIGIN': {
    title: 'CORS trusts the null origin',
    category: 'cors',
    severity: 'high',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-942',
    description:
      'Sandboxed iframes and file:// pages send `Origin: null`; trusting it with credentials lets any page read responses.',
    remediation: 'Remove "null" from the CORS allowlist (`CORSMiddleware(allow_origins=[...])`).',
  },
  'CORS-LOOSE-MATCH': {
    title: 'CORS allowlist matches look-alike origins',
    category: 'cors',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-942',
    description:
      'Subdomains, plain-HTTP or wildcard-platform variants of the trusted origin are allowed with credentials.',
    remediation:
      'Compare origins exactly (scheme, host and port); anchor and narrow any `allow_origin_regex`; require https.',
  },
  'CORS-WILDCARD': {
    title: 'CORS allows any origin',
    category: 'cors',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-942',
    description: '`Access-Control-Allow-Origin: *` lets any page read unauthenticated responses.',
    remediation: 'List the frontend origins in `CORSMiddleware(allow_origins=[...])` instead of "*".',
  },
  'CORS-PREFLIGHT-METHODS': {
    title: 'CORS preflight allows unexpected methods',
    category: 'cors',
    severity: 'low',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-942',
    description:
      'Preflight answers allow methods such as TRACE, CONNECT or any method ("*") for cross-origin requests.',
    remediation:
      'Set `CORSMiddleware(allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"])` to the methods the frontend uses.',
  },
  'JWT-SIGNATURE-NOT-VERIFIED': {
    title: 'JWT with a broken signature accepted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description: 'A token whose signature was altered still authenticates: anyone can forge any user.',
    remediation: jwtVerify,
  },
  'JWT-ALG-NONE': {
    title: 'JWT with alg "none" accepted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description: 'An unsigned token (alg none, in some spelling) authenticates: anyone can forge any user.',
    remediation: jwtVerify,
  },
  'JWT-NULL-SIGNATURE': {
    title: 'JWT with an empty signature accepted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description: 'A token with the signature part removed authenticates.',
    remediation: jwtVerify,
  },
  'JWT-EMPTY-KEY': {
    title: 'JWT signed with an empty key accepted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description:
      'A token signed with HS256 and an empty key authenticates: the signing key is empty or not checked.',
    remediation: `Refuse to start when SECRET_KEY is empty or short (pydantic-settings \`min_length=32\`). ${jwtVerify}`,
  },
  'JWT-WEAK-SECRET': {
    title: 'JWT signing secret is a common password',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A02,
    cwe: 'CWE-1391',
    description:
      'The HS256 secret was recovered offline from a captured token with a small wordlist; anyone can mint tokens.',
    remediation:
      'Rotate SECRET_KEY to 32+ random bytes (`python -c "import secrets; print(secrets.token_urlsafe(48))"`), keep it only in the secret store, revoke existing tokens, and refuse weak keys at startup.',
  },
  'JWT-KEY-CONFUSION': {
    title: 'JWT RS/HS key confusion',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description: 'A token signed with HS256 using the public RSA key as the HMAC secret authenticates.',
    remediation: `Pin the algorithm list to the asymmetric algorithm (algorithms=["RS256"]) when verifying with a public key. ${jwtVerify}`,
  },
  'JWT-JWK-INJECTION': {
    title: 'JWT embedded jwk header trusted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description:
      'A token signed with an attacker key and carrying that key in its `jwk` header authenticates.',
    remediation: `Never take verification keys from the token header (jwk, jku, x5u). ${jwtVerify}`,
  },
  'JWT-KID-INJECTION': {
    title: 'JWT kid header injection accepted',
    category: 'jwt',
    severity: 'critical',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-347',
    description:
      'A token whose `kid` points at a predictable key (a path traversal to /dev/null or an SQL expression) authenticates.',
    remediation:
      'Look `kid` up in a fixed in-memory key map and reject unknown ids; never use it in a file path or SQL.',
  },
  'JWT-EXPIRED-ACCEPTED': {
    title: 'Expired JWT accepted',
    category: 'jwt',
    severity: 'high',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-613',
    description:
      'A correctly signed token whose `exp` lies in the past still authenticates: stolen tokens never expire.',
    remediation: `Keep expiry verification on (PyJWT verifies \`exp\` unless options disable it; allow at most a few seconds of leeway). ${jwtVerify}`,
  },
  'JWT-NO-EXPIRY': {
    title: 'JWT has no exp claim',
    category: 'jwt',
    severity: 'high',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-613',
    description: 'Issued access tokens carry no expiry.',
    remediation:
      'Add `exp` when issuing tokens and require it when decoding (`options={"require": ["exp"]}`).',
  },
  'JWT-LIFETIME-EXCESSIVE': {
    title: 'JWT lifetime above policy',
    category: 'jwt',
    severity: 'medium',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-613',
    description: 'Access tokens live longer than the policy allows, widening the window for a stolen token.',
    remediation:
      'Issue short-lived access tokens (ACCESS_TOKEN_EXPIRE_MINUTES <= policy) and use the refresh cookie to renew them.',
  },
  'JWT-AUD-ISS-NOT-ENFORCED': {
    title: 'JWT with a foreign audience or issuer accepted',
    category: 'jwt',
    severity: 'medium',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-345',
    description:
      'A correctly signed token with a foreign `aud` or `iss` was accepted, so tokens from another environment work here. Tested only when the signing key is known (cracked or `--jwt-secret-env`); otherwise the check is listed as not run.',
    remediation:
      'Issue tokens with per-environment `aud` and `iss` and pass `audience=` and `issuer=` to `jwt.decode`.',
  },
  'JWT-AUD-ISS-MISSING': {
    title: 'Access token carries no aud/iss claim',
    category: 'jwt',
    severity: 'low',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-345',
    description:
      'The access token has no `aud` or `iss` claim, so nothing in the token ties it to this environment (whether the server would refuse a foreign one is a separate check).',
    remediation:
      'Issue tokens with per-environment `aud` and `iss` and pass `audience=` and `issuer=` to `jwt.decode`.',
  },
  'AUTHN-MISSING': {
    title: 'Secured route answers without authentication',
    category: 'authn',
    severity: 'high',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-306',
    description: 'A route that serves user data answers 2xx without a token.',
    remediation:
      'Add the auth dependency at router level: `APIRouter(dependencies=[Depends(get_current_user)])` so new routes are secured by default.',
  },
  'AUTHN-EXPIRED-TOKEN': {
    title: 'Secured route accepts an expired token',
    category: 'authn',
    severity: 'high',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-613',
    description: 'A route answers 2xx to a correctly signed token whose `exp` lies in the past.',
    remediation: `Authenticate every route through one dependency that verifies exp. ${jwtVerify}`,
  },
  'AUTHN-NO-LOGIN-THROTTLE': {
    title: 'Login not throttled within the attempt budget',
    category: 'authn',
    severity: 'high',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-307',
    description: 'Repeated wrong passwords never produce 429 or a lockout within the documented budget.',
    remediation:
      'Rate-limit POST /auth/login per IP and per email (for example slowapi or a Redis sliding window: 20/min/IP, 5/min/email) with 429 + Retry-After and progressive lockout.',
  },
  'AUTHN-USER-ENUMERATION': {
    title: 'Login reveals whether an account exists',
    category: 'authn',
    severity: 'medium',
    owaspApi: API2,
    owasp2021: A07,
    cwe: 'CWE-204',
    description: 'Unknown email and wrong password get different status codes, bodies or timing.',
    remediation:
      'Return the same 401 body for unknown user and wrong password, and run the password hash check against a dummy hash for unknown users so timing matches.',
  },
  'AUTHZ-BOLA': {
    title: "Another user's object is reachable (BOLA)",
    category: 'authz',
    severity: 'high',
    owaspApi: API1,
    owasp2021: A01,
    cwe: 'CWE-639',
    description: "Student B can read or act on student A's booking by its id.",
    remediation:
      'Filter every object query by the current user (`WHERE booking.student_id = current_user.id OR instructor_id = ...`) in the repository layer and return 404 otherwise.',
  },
  'AUTHZ-FUNCTION-LEVEL': {
    title: 'Privileged route reachable with a lower role',
    category: 'authz',
    severity: 'high',
    owaspApi: API5,
    owasp2021: A01,
    cwe: 'CWE-285',
    description: 'A student (or instructor) token gets 2xx from an instructor-only or admin-only route.',
    remediation:
      'Guard role routes with a dependency such as `Depends(require_role("admin"))` on the router, deny by default.',
  },
  'AUTHZ-MASS-ASSIGNMENT': {
    title: 'Mass assignment of protected fields',
    category: 'authz',
    severity: 'high',
    owaspApi: API3,
    owasp2021: A01,
    cwe: 'CWE-915',
    description: 'A write route stores fields the client must not set (role, is_admin, status, price).',
    remediation:
      'Use separate Pydantic input models with only the writable fields and `model_config = ConfigDict(extra="forbid")`; never `**body.dict()` into ORM models.',
  },
  'SQLI-ERROR': {
    title: 'SQL injection (database error in response)',
    category: 'injection',
    severity: 'critical',
    owaspApi: API8,
    owasp2021: A03,
    cwe: 'CWE-89',
    description:
      'A quote in a parameter produces a PostgreSQL/driver/SQLAlchemy syntax error: the value reaches SQL unescaped.',
    remediation:
      'Pass values as bound parameters (`text("... WHERE region = :region").bindparams(region=value)` or ORM filters); never format SQL with f-strings; validate ids with Pydantic types.',
  },
  'SQLI-BOOLEAN': {
    title: 'SQL injection (boolean-based)',
    category: 'injection',
    severity: 'critical',
    owaspApi: API8,
    owasp2021: A03,
    cwe: 'CWE-89',
    description:
      'A true and a false SQL condition appended to a parameter give different results: the value is evaluated as SQL.',
    remediation:
      'Pass values as bound parameters (`text("... WHERE region = :region").bindparams(region=value)` or ORM filters); never format SQL with f-strings.',
  },
  'SQLI-TIME': {
    title: 'SQL injection (time-based, pg_sleep)',
    category: 'injection',
    severity: 'critical',
    owaspApi: API8,
    owasp2021: A03,
    cwe: 'CWE-89',
    description:
      'Appending `pg_sleep` to a parameter delays the response by the requested time, repeatedly and above baseline latency.',
    remediation:
      'Pass values as bound parameters (`text("... WHERE region = :region").bindparams(region=value)` or ORM filters); never format SQL with f-strings.',
  },
  'SQLI-ERROR-DIFFERENTIAL': {
    title: 'Possible SQL injection (quote breaks the request)',
    category: 'injection',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A03,
    cwe: 'CWE-89',
    description: 'A single quote produces a server error while an escaped quote does not.',
    remediation:
      'Use bound parameters for every value that reaches SQL and validate inputs with Pydantic types.',
  },
  'RATE-LIMIT-WRITE-MISSING': {
    title: 'Write route not throttled within its documented limit',
    category: 'resource',
    severity: 'medium',
    owaspApi: API4,
    owasp2021: A04,
    cwe: 'CWE-770',
    description:
      'A write route accepts more requests per minute from one user than the documented limit without 429.',
    remediation:
      'Add a per-user limit to write routes (slowapi `@limiter.limit("20/minute", key_func=user_key)` or the Redis limiter).',
  },
  'RATE-LIMIT-SPOOF-BYPASS': {
    title: 'Rate limit bypassed with a spoofed client-IP header',
    category: 'resource',
    severity: 'high',
    owaspApi: API4,
    owasp2021: A04,
    cwe: 'CWE-348',
    description: 'After a 429, rotating X-Forwarded-For / CF-Connecting-IP / X-Real-IP resets the limit.',
    remediation:
      'Derive the client IP from the socket or from the one header your edge sets (uvicorn `--proxy-headers --forwarded-allow-ips=<edge ranges>`), never from arbitrary client headers.',
  },
  'BODY-SIZE-UNLIMITED': {
    title: 'Oversized request body not refused with 413',
    category: 'resource',
    severity: 'medium',
    owaspApi: API4,
    owasp2021: A04,
    cwe: 'CWE-400',
    description: 'A body over 1 MiB is read instead of being refused with 413.',
    remediation:
      'Limit request bodies at the proxy (client_max_body_size) or in a Starlette middleware that checks Content-Length and streams with a cap, answering 413.',
  },
  'PAGE-SIZE-UNBOUNDED': {
    title: 'Page size above the documented maximum accepted',
    category: 'resource',
    severity: 'medium',
    owaspApi: API4,
    owasp2021: A04,
    cwe: 'CWE-770',
    description: 'A list route accepts a page size far above its documented maximum.',
    remediation:
      'Declare `per_page: int = Query(20, ge=1, le=100)` so FastAPI rejects larger values with 422.',
  },
  'EXPOSED-ENV-FILE': {
    title: 'Environment file served',
    category: 'exposure',
    severity: 'critical',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-538',
    description: 'A .env file with configuration (and likely secrets) is downloadable.',
    remediation:
      'Never serve the project directory (remove StaticFiles mounts on "/"), deploy without .env files, and rotate every secret it held.',
  },
  'EXPOSED-GIT': {
    title: 'Git metadata served',
    category: 'exposure',
    severity: 'high',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-527',
    description: '/.git/ is downloadable, which exposes source code and history.',
    remediation: 'Do not deploy the .git directory and do not mount the project root with StaticFiles.',
  },
  'EXPOSED-API-DOCS': {
    title: 'Interactive API documentation exposed',
    category: 'exposure',
    severity: 'low',
    owaspApi: API9,
    owasp2021: A05,
    cwe: 'CWE-200',
    description: '/docs, /redoc or /openapi.json describe every route to anyone.',
    remediation:
      'In production create the app with `FastAPI(docs_url=None, redoc_url=None, openapi_url=None)` (driven by settings.environment).',
  },
  'EXPOSED-METRICS': {
    title: 'Metrics endpoint is public',
    category: 'exposure',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-200',
    description: 'Prometheus metrics (routes, volumes, pool state) are readable without authentication.',
    remediation:
      'Protect the metrics route with HTTP basic auth (`Depends(HTTPBasic())` checked with `secrets.compare_digest`) or serve it on an internal port.',
  },
  'EXPOSED-DEBUG-ROUTE': {
    title: 'Debug route reachable',
    category: 'exposure',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-489',
    description: 'A debug route (such as /sentry-debug) answers in this environment.',
    remediation:
      'Register debug routes only when settings.environment is local (`if settings.debug: app.include_router(debug_router)`).',
  },
  'VERBOSE-ERRORS': {
    title: 'Error responses leak stack traces or SQL',
    category: 'exposure',
    severity: 'medium',
    owaspApi: API8,
    owasp2021: A05,
    cwe: 'CWE-209',
    description: 'Error bodies contain stack traces, exception classes or SQL text.',
    remediation:
      'Run with `debug=False` and register `@app.exception_handler(Exception)` returning a problem+json body with only a request_id; log details server-side.',
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof rules;

export function getRule(id: RuleId): Rule {
  return rules[id];
}

export function listRules(): Array<Rule & { id: RuleId }> {
  return (Object.keys(rules) as RuleId[]).map((id) => ({ id, ...rules[id] }));
}
