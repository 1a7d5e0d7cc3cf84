/**
 * SQL injection on query, path and body parameters: error-based (PostgreSQL, psycopg2, asyncpg, SQLAlchemy signatures),
 * boolean-based differential, and time-based with pg_sleep confirmed against baseline latency.
 */
import { createHash } from 'node:crypto';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import { mapLimit, type ProbeRequest, type ProbeResponse } from '../http.js';
import type { Probe, ProbeContext } from '../probe.js';
import { fillPath, type RouteParam, type RouteSpec } from '../routes.js';

/** Database error signatures by source. */
export const sqlErrorSignatures: Array<[RegExp, string]> = [
  [
    /syntax error at or near|unterminated quoted (?:string|identifier)|invalid input syntax for (?:type|integer)|current transaction is aborted/i,
    'PostgreSQL',
  ],
  [/\bSQLSTATE\b|\bPG::[A-Z]\w+Error|ERROR:\s+(?:syntax|column|relation|operator) /, 'PostgreSQL'],
  [/psycopg2?\.(?:errors\.\w+|ProgrammingError|DataError|InternalError|Error)/, 'psycopg2'],
  [/asyncpg\.exceptions\.\w+|PostgresSyntaxError|UndefinedColumnError/, 'asyncpg'],
  [/sqlalchemy\.exc\.\w+|\(Background on this error at: https?:\/\/sqlalche\.me|\[SQL: /, 'SQLAlchemy'],
];

export function matchSqlError(text: string): string | undefined {
  for (const [pattern, source] of sqlErrorSignatures) if (pattern.test(text)) return source;
  return undefined;
}

/** A response reduced to what a boolean condition can change: status and result count, else the body without volatile fields. */
export function summarizeResponse(
  response: ProbeResponse,
  listFields: string[] = ['results', 'items', 'data'],
): string {
  if (response.status < 200 || response.status >= 300) return `status:${response.status}`;
  try {
    const body = response.json<Record<string, unknown>>();
    const list = Array.isArray(body) ? body : listFields.map((field) => body[field]).find(Array.isArray);
    if (Array.isArray(list)) return `count:${list.length}`;
  } catch {}
  const stable = response.text.replace(
    /"(?:latency_ms|request_id|timestamp|took_ms|duration_ms)"\s*:\s*("[^"]*"|[\d.]+)/g,
    '',
  );
  return `body:${createHash('sha256').update(stable).digest('hex').slice(0, 16)}`;
}

const getApiPrefix = (context: ProbeContext) => new URL(context.target.apiBase).pathname.replace(/\/+$/, '');

interface Target {
  route: RouteSpec;
  param: RouteParam;
}

export const injectionProbe: Probe = {
  name: 'injection',
  description:
    'SQL injection: error signatures, boolean differential, pg_sleep timing confirmed against baseline latency',
  phase: 'main',
  async run(context) {
    const token = await context.session.login('studentA');
    const targets: Target[] = context.routes.routes
      .filter((route) => route.auth === 'none' || route.auth === 'user')
      .filter((route) => route.method === 'GET' || route.params.some((p) => p.in === 'body'))
      .flatMap((route) => route.params.map((param) => ({ route, param })));
    const findings: Finding[] = [];
    const suspects: Array<Target & { baseline: ProbeResponse[] }> = [];
    const results = await mapLimit(targets, Math.max(1, Math.floor(context.http.concurrency / 2)), (target) =>
      checkFastTechniques(context, target, token),
    );
    results.forEach((result, index) => {
      findings.push(...result.findings);
      suspects.push({ ...targets[index]!, baseline: result.baseline });
    });
    // timing runs one parameter at a time so probes do not slow each other down
    for (const suspect of suspects) {
      if (suspect.baseline.length === 0) continue;
      const finding = await checkTimeBased(context, suspect, suspect.baseline, token);
      if (finding) findings.push(finding);
    }
    return { findings, notes: [`${targets.length} parameters tested`] };
  },
};

/** Builds the request for a route with one parameter set to `value` and the others at their samples. */
export function buildParamRequest(
  route: RouteSpec,
  param: RouteParam,
  value: string,
  token: string | undefined,
): ProbeRequest {
  const values = (where: RouteParam['in']) =>
    Object.fromEntries(
      route.params
        .filter((p) => p.in === where && (p.required || p === param))
        .map((p) => [p.name, p === param ? value : p.sample]),
    );
  const query = values('query');
  const body = values('body');
  return {
    method: route.method,
    path: fillPath(route.path, values('path')),
    query,
    ...(route.method === 'GET' ? {} : { json: body }),
    ...(route.auth !== 'none' && token ? { token } : {}),
  };
}

async function checkFastTechniques(
  context: ProbeContext,
  { route, param }: Target,
  token: string | undefined,
): Promise<{ findings: Finding[]; baseline: ProbeResponse[] }> {
  const send = (value: string) => context.http.send(buildParamRequest(route, param, value, token));
  const findings: Finding[] = [];
  const at = {
    method: route.method,
    path: `${getApiPrefix(context)}${route.path}`,
    key: `${param.in}:${param.name}`,
  };
  const baseline: ProbeResponse[] = [];
  for (let i = 0; i < 3; i++) baseline.push(await send(param.sample));
  if (baseline.every((r) => r.status === 0)) return { findings, baseline: [] };

  const quoted = await send(`${param.sample}'`);
  const source = matchSqlError(quoted.text);
  if (source && !matchSqlError(baseline[0]!.text)) {
    findings.push(
      createFinding('SQLI-ERROR', {
        ...at,
        detail: `A quote in ${param.in} parameter "${param.name}" produced a ${source} error`,
        evidence: formatEvidence(quoted, { bodyChars: 500 }),
        confidence: 'certain',
      }),
    );
  }

  const nonsense = 'pfzq9';
  const pairs: Array<{ truthy: string[]; falsy: string[] }> = [
    {
      truthy: [`${nonsense}' OR '1'='1`, `${nonsense}' OR '2'='2`],
      falsy: [`${nonsense}' OR '1'='2`, `${nonsense}' OR '2'='3`],
    },
    {
      truthy: [`${param.sample}' AND '1'='1`, `${param.sample}' AND '2'='2`],
      falsy: [`${param.sample}' AND '1'='2`, `${param.sample}' AND '2'='3`],
    },
    { truthy: ['0 OR 1=1', '0 OR 2=2'], falsy: ['0 OR 1=2', '0 OR 2=3'] },
  ];
  for (const pair of pairs) {
    const truthy = await Promise.all(pair.truthy.map(send));
    const falsy = await Promise.all(pair.falsy.map(send));
    const platform = context.target.platform;
    const lists = [platform.search.resultsField, platform.instructors.itemsField, 'data'];
    const t = truthy.map((r) => summarizeResponse(r, lists));
    const f = falsy.map((r) => summarizeResponse(r, lists));
    const ok = [...truthy, ...falsy].every((r) => r.status >= 200 && r.status < 300);
    if (ok && t[0] === t[1] && f[0] === f[1] && t[0] !== f[0]) {
      findings.push(
        createFinding('SQLI-BOOLEAN', {
          ...at,
          detail: `In ${param.in} parameter "${param.name}", true conditions give ${t[0]} and false ones ${f[0]} (each twice, with different literals)`,
          evidence: {
            request: `${formatEvidence(truthy[0]!).request}\n---\n${formatEvidence(falsy[0]!).request}`,
            response: `${formatEvidence(truthy[0]!, { bodyChars: 200 }).response}\n---\n${formatEvidence(falsy[0]!, { bodyChars: 200 }).response}`,
            note: `true: ${pair.truthy.join(' | ')} -> ${t[0]}; false: ${pair.falsy.join(' | ')} -> ${f[0]}`,
          },
          confidence: 'firm',
        }),
      );
      break;
    }
  }

  if (!source && quoted.status >= 500) {
    const escaped = await send(`${param.sample}''`);
    if (escaped.status < 500 && !findings.some((f) => f.ruleId === 'SQLI-BOOLEAN')) {
      findings.push(
        createFinding('SQLI-ERROR-DIFFERENTIAL', {
          ...at,
          detail: `A single quote in "${param.name}" gives HTTP ${quoted.status}, two quotes HTTP ${escaped.status}`,
          evidence: formatEvidence(quoted, { bodyChars: 300 }),
          confidence: 'tentative',
        }),
      );
    }
  }
  return { findings, baseline };
}

const sleepPayloads = (sample: string, seconds: number) => [
  `${sample}'||(SELECT '' FROM pg_sleep(${seconds}))||'`,
  `${sample}) OR (SELECT 1 FROM pg_sleep(${seconds})) IS NULL OR (1=1`,
];

/**
 * One pg_sleep(S) request per payload; only a response slower than the baseline median by most of S is re-tested:
 * pg_sleep(2S) must take about 2S more than the baseline and at least 0.6 S more than pg_sleep(S), and pg_sleep(0)
 * must be as fast as the baseline, so a slow or jittery target does not pass.
 */
async function checkTimeBased(
  context: ProbeContext,
  target: Target,
  baseline: ProbeResponse[],
  token: string | undefined,
): Promise<Finding | undefined> {
  const { route, param } = target;
  const seconds = context.settings.sleepSeconds;
  const send = (value: string, timeoutMs: number) =>
    context.http.send({ ...buildParamRequest(route, param, value, token), timeoutMs });
  const times = baseline.map((r) => r.durationMs).sort((a, b) => a - b);
  const baseMax = times.at(-1)!;
  const baseMedian = times[Math.floor(times.length / 2)]!;
  const sleepMs = seconds * 1000;
  for (const payloadFor of [0, 1]) {
    const payload = (s: number) => sleepPayloads(param.sample, s)[payloadFor]!;
    const first = await send(payload(seconds), sleepMs * 4 + 10_000);
    if (first.durationMs < baseMedian + sleepMs * 0.8) continue;
    const double = await send(payload(seconds * 2), sleepMs * 6 + 10_000);
    const control = await send(payload(0), sleepMs * 4 + 10_000);
    // the delay must scale with the requested sleep: a random stall does not double when S does
    const doubled =
      double.durationMs >= baseMedian + sleepMs * 1.6 &&
      double.durationMs - first.durationMs >= sleepMs * 0.6;
    const controlFast = control.durationMs < baseMedian + sleepMs * 0.5;
    if (!doubled || !controlFast) continue;
    return createFinding('SQLI-TIME', {
      method: route.method,
      path: `${getApiPrefix(context)}${route.path}`,
      key: `${param.in}:${param.name}`,
      detail: `pg_sleep in ${param.in} parameter "${param.name}" delays the response: baseline ${Math.round(baseMedian)} ms (max ${Math.round(baseMax)}), pg_sleep(${seconds}) ${Math.round(first.durationMs)} ms, pg_sleep(${seconds * 2}) ${Math.round(double.durationMs)} ms, pg_sleep(0) ${Math.round(control.durationMs)} ms`,
      evidence: formatEvidence(double, {
        bodyChars: 200,
        note: `timings (ms): baseline ${times.map(Math.round).join(', ')}; S=${seconds}: ${Math.round(first.durationMs)}; 2S: ${Math.round(double.durationMs)}; 0: ${Math.round(control.durationMs)}`,
      }),
      confidence: 'firm',
    });
  }
  return undefined;
}
