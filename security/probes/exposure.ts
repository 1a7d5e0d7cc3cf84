/** Exposure: .env variants, .git, API docs, public metrics, debug routes, stack traces or SQL in error bodies. */
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import { mapLimit, type ProbeRequest, type ProbeResponse } from '../http.js';
import type { Probe, ProbeContext } from '../probe.js';
import { sampleId } from '../routes.js';

const envPaths = [
  '/.env',
  '/.env.local',
  '/.env.production',
  '/.env.prod',
  '/.env.staging',
  '/.env.backup',
  '/.env.bak',
  '/.env.save',
  '/.env.example',
  '/api/.env',
  '/backend/.env',
];
const gitPaths = ['/.git/config', '/.git/HEAD'];
/** Guesses beside the profile's docs, redoc and openapi paths. */
const extraDocsPaths = ['/swagger.json', '/docs/oauth2-redirect'];
/** Guesses beside the profile's sentry-debug path. */
const debugPaths = [
  '/debug',
  '/_debug',
  '/__debug__',
  '/debug/vars',
  '/console',
  '/actuator',
  '/phpinfo.php',
];

/** Patterns that mean an error body carries internals: Python and JS stack traces, exception classes, SQL. */
export const leakPatterns: Array<[RegExp, string]> = [
  [/Traceback \(most recent call last\)/, 'Python traceback'],
  [/File "[^"]+\.py", line \d+/, 'Python stack frame'],
  [/\bat (?:async )?[\w$.<>]+ \((?:file:\/\/)?\/[^)]+:\d+:\d+\)/, 'JavaScript stack frame'],
  [/\bat \/[\w/.-]+\.(?:js|ts|mjs):\d+:\d+/, 'JavaScript stack frame'],
  [/\b(?:SELECT|UPDATE|DELETE)\b[\s\S]{1,200}?\bFROM\b\s+["\w.]+/i, 'SQL text'],
  [/\bINSERT\s+INTO\s+["\w.]+/i, 'SQL text'],
  [/sqlalchemy\.exc\.|psycopg2?\.(?:errors|Error)|asyncpg\.exceptions/i, 'database driver exception'],
  [
    /syntax error at or near|unterminated quoted string|invalid input syntax for/i,
    'PostgreSQL error message',
  ],
  [
    /\b(?:TypeError|ReferenceError|KeyError|AttributeError|ValueError|ZeroDivisionError): /,
    'exception class and message',
  ],
];

export function findLeak(text: string): string | undefined {
  for (const [pattern, label] of leakPatterns) if (pattern.test(text)) return label;
  return undefined;
}

export const exposureProbe: Probe = {
  name: 'exposure',
  description:
    'Secrets and metadata files, API docs, public metrics, debug routes, internals in error bodies',
  phase: 'main',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const send = (request: ProbeRequest) => context.http.send({ method: 'GET', origin: null, ...request });
    const apiPrefix = new URL(context.target.apiBase).pathname.replace(/\/+$/, '');

    const envRequests = envPaths.map((rootPath) => ({ rootPath }));
    for (const [index, response] of (await mapLimit(envRequests, context.http.concurrency, send)).entries()) {
      if (
        response.status === 200 &&
        /^\s*[A-Z][A-Z0-9_]*\s*=/m.test(response.text) &&
        !/<html/i.test(response.text)
      ) {
        // never copy the values of a leaked .env into a report: names only
        const masked = {
          ...response,
          text: response.text.replace(/^(\s*[A-Za-z_][A-Za-z0-9_]*\s*=).*$/gm, '$1***'),
        };
        findings.push(
          exposed('EXPOSED-ENV-FILE', masked, `${envPaths[index]} is served with KEY=value lines`),
        );
      }
    }
    for (const rootPath of gitPaths) {
      const response = await send({ rootPath });
      if (
        response.status === 200 &&
        (/\[core\]/.test(response.text) || /^ref: refs\//m.test(response.text))
      ) {
        findings.push(exposed('EXPOSED-GIT', response, `${rootPath} is served`));
      }
    }
    const root = context.target.platform.rootPaths;
    const docsPaths = [...new Set([root.docs, root.redoc, root.openapi, ...extraDocsPaths])];
    const docRequests: ProbeRequest[] = [
      ...docsPaths.map((rootPath) => ({ rootPath })),
      { path: root.docs },
      { path: root.openapi },
    ];
    for (const response of await mapLimit(docRequests, context.http.concurrency, send)) {
      if (response.status === 200 && looksLikeApiDocs(response.text)) {
        findings.push(
          exposed(
            'EXPOSED-API-DOCS',
            response,
            `${response.path} serves API documentation`,
            context.target.production ? 'medium' : 'low',
          ),
        );
      }
    }
    findings.push(...(await checkMetrics(context)));
    const debugRequests: ProbeRequest[] = [
      ...[root.sentryDebug, ...debugPaths].map((rootPath) => ({ rootPath })),
      { path: root.sentryDebug },
      { path: '/debug' },
    ];
    for (const response of await mapLimit(debugRequests, context.http.concurrency, send)) {
      const leak = findLeak(response.text);
      // a 200 HTML page is a frontend's catch-all route, not a debug endpoint of the API
      const html =
        /text\/html/i.test(response.headers.get('content-type') ?? '') ||
        /^\s*<(!doctype|html)/i.test(response.text);
      if (
        (response.status === 200 && !html) ||
        (response.status >= 500 && response.status !== 502 && response.status !== 503) ||
        leak
      ) {
        findings.push(
          exposed(
            'EXPOSED-DEBUG-ROUTE',
            response,
            `${response.path} answers HTTP ${response.status}${leak ? ` with a ${leak}` : ''}`,
          ),
        );
      }
    }
    findings.push(...(await checkErrorBodies(context, apiPrefix)));
    return { findings, notes };
  },
};

function exposed(
  rule: 'EXPOSED-ENV-FILE' | 'EXPOSED-GIT' | 'EXPOSED-API-DOCS' | 'EXPOSED-DEBUG-ROUTE' | 'EXPOSED-METRICS',
  response: ProbeResponse,
  detail: string,
  severity?: 'medium' | 'low',
): Finding {
  return createFinding(rule, {
    method: response.method,
    path: response.path,
    detail,
    evidence: formatEvidence(response, { responseHeaders: ['content-type'], bodyChars: 240 }),
    confidence: 'certain',
    ...(severity ? { severity } : {}),
  });
}

function looksLikeApiDocs(text: string): boolean {
  return /"openapi"\s*:|"swagger"\s*:|swagger[- ]ui|redoc/i.test(text);
}

async function checkMetrics(context: ProbeContext): Promise<Finding[]> {
  const response = await context.http.send({ method: 'GET', path: context.target.metricsPath, origin: null });
  if (response.status === 200 && /^# (?:HELP|TYPE) \w+/m.test(response.text)) {
    return [
      exposed(
        'EXPOSED-METRICS',
        response,
        `${response.path} serves Prometheus metrics without authentication`,
      ),
    ];
  }
  return [];
}

/** Requests that make a careless backend fail: malformed ids, wrong types, broken JSON. */
async function checkErrorBodies(context: ProbeContext, apiPrefix: string): Promise<Finding[]> {
  const token = await context.session.login('studentA');
  const profile = context.target.platform;
  const r = profile.routes;
  const a = profile.availability;
  const i = profile.instructors;
  const s = profile.search;
  const at = (route: { method: string; path: string }, params: Record<string, string> = {}) => ({
    method: route.method,
    path: route.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => params[name] ?? sampleId),
  });
  const requests: ProbeRequest[] = [
    { ...at(r.getBooking, { booking_id: "'%22%5C", id: "'%22%5C" }), token },
    {
      ...at(r.availability, { instructor_id: '%27', id: '%27' }),
      query: { [a.startParam]: 'not-a-date', [a.endParam]: "2030-01-01'" },
    },
    { ...at(r.search), query: { [s.queryParam]: 'piano\'"\\', [s.limitParam]: 'many' } },
    { ...at(r.instructors), query: { page: '-1', [i.perPageParam]: 'x', [i.serviceCatalogParam]: "'" } },
    // values that pass naive validation but overflow or are impossible in the database
    { ...at(r.instructors), query: { page: '1e300', [i.serviceCatalogParam]: sampleId } },
    { ...at(r.availability), query: { [a.startParam]: '2030-02-31', [a.endParam]: '2030-03-01' } },
    {
      ...at(r.checkAvailability),
      token,
      json: {
        instructor_id: sampleId,
        instructor_service_id: sampleId,
        booking_date: '2030-02-31',
        start_time: '10:00',
        selected_duration: 60,
      },
    },
    {
      ...at(r.checkAvailability),
      token,
      body: '{"instructor_id": ',
      headers: { 'content-type': 'application/json' },
    },
    {
      ...at(r.createBooking),
      token,
      json: { instructor_id: ["'"], booking_date: {}, start_time: null, selected_duration: 'x' },
      retry: false,
    },
  ];
  const findings: Finding[] = [];
  for (const response of await mapLimit(requests, context.http.concurrency, (r) => context.http.send(r))) {
    if (response.status < 400) continue;
    const leak = findLeak(response.text);
    if (!leak) continue;
    findings.push(
      createFinding('VERBOSE-ERRORS', {
        method: response.method,
        path: response.path || apiPrefix,
        detail: `HTTP ${response.status} body contains a ${leak}`,
        evidence: formatEvidence(response, { bodyChars: 600 }),
        confidence: 'certain',
      }),
    );
  }
  return findings;
}
