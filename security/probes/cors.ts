/** CORS: Origin variants of the trusted frontend (arbitrary, null, prefix/suffix tricks, special characters, downgrade, wildcard platforms) and preflights. */
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding, getFingerprint } from '../findings.js';
import { mapLimit, type ProbeResponse } from '../http.js';
import { isMissingRoute, type Probe } from '../probe.js';

export type VariantKind = 'arbitrary' | 'null' | 'lookalike' | 'loose';

export interface OriginVariant {
  origin: string;
  kind: VariantKind;
  label: string;
}

const attacker = 'preflight-probe.example';

/** At least 25 Origin values that an exact-match allowlist must refuse, built around the trusted origin. */
export function buildOriginVariants(trustedOrigin: string): OriginVariant[] {
  const url = new URL(trustedOrigin);
  const scheme = url.protocol.replace(':', '');
  const host = url.hostname;
  const port = url.port ? `:${url.port}` : '';
  const hostPort = `${host}${port}`;
  const registrable = host.split('.').slice(-2).join('.');
  const otherScheme = scheme === 'https' ? 'http' : 'https';
  const v = (origin: string, kind: VariantKind, label: string): OriginVariant => ({ origin, kind, label });
  return [
    v(`https://${attacker}`, 'arbitrary', 'arbitrary domain'),
    v(`http://${attacker}`, 'arbitrary', 'arbitrary domain over http'),
    v('null', 'null', 'null origin'),
    v(`${scheme}://${host}.${attacker}`, 'lookalike', 'trusted host as prefix of attacker domain'),
    v(`${scheme}://${hostPort}.${attacker}`, 'lookalike', 'trusted host:port as prefix'),
    v(`${scheme}://evil${host}`, 'lookalike', 'attacker prefix glued to trusted host'),
    v(`${scheme}://evil-${host}`, 'lookalike', 'attacker prefix with hyphen'),
    v(`${scheme}://${host}evil.${attacker}`, 'lookalike', 'trusted host glued to attacker domain'),
    v(`${scheme}://${registrable}.${attacker}`, 'lookalike', 'registrable domain as prefix'),
    v(`${scheme}://${host}_.${attacker}`, 'lookalike', 'underscore subdomain trick'),
    v(`${scheme}://${host}%60.${attacker}`, 'lookalike', 'backtick (encoded) trick'),
    v(`${scheme}://${host}\`.${attacker}`, 'lookalike', 'backtick trick'),
    v(`${scheme}://${host}!.${attacker}`, 'lookalike', 'exclamation mark trick'),
    v(`${scheme}://${host}&.${attacker}`, 'lookalike', 'ampersand trick'),
    v(`${scheme}://${host}'.${attacker}`, 'lookalike', 'quote trick'),
    v(`${scheme}://${host}$.${attacker}`, 'lookalike', 'dollar trick'),
    v(`${scheme}://${host}{.${attacker}`, 'lookalike', 'brace trick'),
    v(`${scheme}://${host}@${attacker}`, 'lookalike', 'userinfo trick'),
    v(`https://${attacker}/${host}`, 'lookalike', 'trusted host in path'),
    v(`https://${attacker}?${host}`, 'lookalike', 'trusted host in query'),
    v(`https://${attacker}#${host}`, 'lookalike', 'trusted host in fragment'),
    v(`${scheme}://preflight-sub.${hostPort}`, 'loose', 'subdomain of trusted host'),
    v(`${otherScheme}://${hostPort}`, 'loose', scheme === 'https' ? 'http downgrade' : 'scheme swap'),
    v(`${scheme}://${host}:8443`, 'loose', 'other port'),
    v(`${scheme}://${host}.`, 'loose', 'trailing dot'),
    v('https://preflight-probe.vercel.app', 'arbitrary', 'wildcard platform *.vercel.app'),
    v('https://preflight-probe.netlify.app', 'arbitrary', 'wildcard platform *.netlify.app'),
    v('https://preflight-probe.herokuapp.com', 'arbitrary', 'wildcard platform *.herokuapp.com'),
    v('https://preflight-probe.github.io', 'arbitrary', 'wildcard platform *.github.io'),
    v('file://', 'arbitrary', 'file origin'),
    v('http://localhost', 'loose', 'localhost'),
    v('http://127.0.0.1:8080', 'loose', 'loopback address'),
  ];
}

export const corsProbe: Probe = {
  name: 'cors',
  description: 'CORS allowlist against Origin variants and preflights with unexpected methods',
  phase: 'main',
  async run(context) {
    const trusted = context.settings.trustedOrigins;
    const base = context.target.origin ?? trusted[0] ?? 'https://app.example.com';
    const variants = buildOriginVariants(base).filter((variant) => !trusted.includes(variant.origin));
    const path = context.target.auth.mePath;
    const responses = await mapLimit(variants, context.http.concurrency, (variant) =>
      context.http.send({ method: 'GET', path, origin: variant.origin }),
    );
    if (responses.length > 0 && responses.every(isMissingRoute))
      return {
        findings: [],
        notes: [],
        notRun: [
          {
            check: 'CORS',
            reason: `GET ${path} answered HTTP ${responses[0]!.status} to every Origin: the route does not exist there (set platform.routes.me)`,
          },
        ],
      };
    const findings = groupCorsFindings(
      variants.map((variant, index) => judgeCorsResponse(variant, responses[index]!)),
    );
    findings.push(...(await checkPreflights(context, base, variants[0]!.origin)));
    return { findings, notes: [`${variants.length} Origin variants of ${base}`] };
  },
};

/** One finding per rule, listing every accepted variant, so a reflecting server gives a few findings, not thirty. */
export function groupCorsFindings(judged: Array<Finding | undefined>): Finding[] {
  const byRule = new Map<string, Finding[]>();
  for (const finding of judged) {
    if (!finding) continue;
    const group = `${finding.ruleId}|${finding.severity}`;
    byRule.set(group, [...(byRule.get(group) ?? []), finding]);
  }
  return [...byRule.values()].map((group) => {
    const first = group[0]!;
    if (group.length === 1) return first;
    const origins = group.map((f) => f.detail.match(/^Origin "([^"]*)"/)?.[1] ?? f.detail);
    return {
      ...first,
      detail: `${group.length} untrusted Origin variants are allowed${first.detail.includes('with credentials') ? ' with credentials' : ''}: ${origins.join(', ')}`,
      fingerprint: getFingerprint(
        first.ruleId,
        first.location.method,
        first.location.path,
        `group:${first.severity}`,
      ),
    };
  });
}

export function judgeCorsResponse(variant: OriginVariant, response: ProbeResponse): Finding | undefined {
  const allowOrigin = response.headers.get('access-control-allow-origin');
  const credentials =
    (response.headers.get('access-control-allow-credentials') ?? '').toLowerCase() === 'true';
  const at = { method: response.method, path: response.path, key: variant.label };
  const evidence = formatEvidence(response, {
    responseHeaders: ['access-control-allow-origin', 'access-control-allow-credentials'],
    bodyChars: 0,
    note: `Origin variant: ${variant.label}`,
  });
  if (allowOrigin === '*') {
    return createFinding('CORS-WILDCARD', {
      ...at,
      key: '*',
      detail: 'Access-Control-Allow-Origin: *',
      evidence,
      confidence: 'certain',
    });
  }
  if (allowOrigin !== variant.origin) return undefined;
  const detail = `Origin "${variant.origin}" (${variant.label}) is allowed${credentials ? ' with credentials' : ''}`;
  if (!credentials)
    return createFinding('CORS-LOOSE-MATCH', {
      ...at,
      detail,
      evidence,
      severity: 'low',
      confidence: 'certain',
    });
  if (variant.kind === 'null')
    return createFinding('CORS-NULL-ORIGIN', { ...at, detail, evidence, confidence: 'certain' });
  if (variant.kind === 'loose')
    return createFinding('CORS-LOOSE-MATCH', { ...at, detail, evidence, confidence: 'certain' });
  return createFinding('CORS-REFLECT-CREDENTIALS', { ...at, detail, evidence, confidence: 'certain' });
}

const unexpectedMethods = ['TRACE', 'CONNECT', 'PROPFIND'];

async function checkPreflights(
  context: Parameters<Probe['run']>[0],
  trustedOrigin: string,
  attackerOrigin: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const path = context.target.auth.mePath;
  for (const method of unexpectedMethods) {
    const response = await context.http.send({
      method: 'OPTIONS',
      path,
      origin: trustedOrigin,
      headers: { 'access-control-request-method': method },
    });
    const allowed = (response.headers.get('access-control-allow-methods') ?? '').toUpperCase();
    if (response.status < 400 && (allowed.split(/\s*,\s*/).includes(method) || allowed.trim() === '*')) {
      findings.push(
        createFinding('CORS-PREFLIGHT-METHODS', {
          method: 'OPTIONS',
          path: response.path,
          key: method,
          detail: `Preflight for ${method} answered with Access-Control-Allow-Methods: ${allowed}`,
          evidence: formatEvidence(response, {
            responseHeaders: ['access-control-allow-methods'],
            bodyChars: 0,
          }),
          confidence: 'certain',
        }),
      );
    }
  }
  const attackerPreflight = await context.http.send({
    method: 'OPTIONS',
    path,
    origin: attackerOrigin,
    headers: { 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
  });
  const reflected = attackerPreflight.headers.get('access-control-allow-origin') === attackerOrigin;
  const credentials =
    (attackerPreflight.headers.get('access-control-allow-credentials') ?? '').toLowerCase() === 'true';
  if (attackerPreflight.status < 400 && reflected && credentials) {
    findings.push(
      createFinding('CORS-REFLECT-CREDENTIALS', {
        method: 'OPTIONS',
        path: attackerPreflight.path,
        key: 'preflight DELETE',
        detail: `Preflight from ${attackerOrigin} for DELETE with Authorization is allowed with credentials`,
        evidence: formatEvidence(attackerPreflight, {
          requestHeaders: ['access-control-request-headers'],
          responseHeaders: [
            'access-control-allow-origin',
            'access-control-allow-credentials',
            'access-control-allow-methods',
          ],
          bodyChars: 0,
        }),
        confidence: 'certain',
      }),
    );
  }
  return findings;
}
