/** Headers and transport: HSTS, nosniff, CSP/frame-ancestors, Referrer-Policy, no-store on authenticated responses, banners, TLS. */
import { isLoopbackHost } from '../../src/core/net.js';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import type { ProbeResponse } from '../http.js';
import type { NotRun, Probe, ProbeContext } from '../probe.js';
import { inspectTls } from './tls.js';

const bannerPattern =
  /\d|uvicorn|gunicorn|hypercorn|werkzeug|python|fastify|express|node|nginx|apache|kestrel|jetty/i;

export const headersProbe: Probe = {
  name: 'headers',
  description:
    'Security headers on public and authenticated responses; TLS versions and certificate expiry for https targets',
  phase: 'main',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const notRun: NotRun[] = [];
    const isHttps = context.target.baseUrl.startsWith('https:');
    const health = context.target.platform.routes.health;
    const publicResponse = await context.http.send({ method: health.method, path: health.path });
    findings.push(...checkSecurityHeaders(publicResponse, isHttps));
    if (!isHttps)
      notRun.push({
        check: 'HSTS',
        reason: `the target is plain http (${new URL(context.target.baseUrl).origin}): browsers ignore Strict-Transport-Security there, so it is only checked over https`,
      });
    const token = await context.session.login('studentA');
    if (token) {
      const me = await context.http.send({ method: 'GET', path: context.target.auth.mePath, token });
      findings.push(...checkAuthenticatedCaching(me));
    } else {
      notes.push('cache-control on authenticated responses not checked: no studentA account');
    }
    findings.push(...(await checkTransport(context, isHttps, notes)));
    return { findings, notes, notRun };
  },
};

/** Header checks of one response; HSTS only over https (a browser ignores it on plain http). */
export function checkSecurityHeaders(response: ProbeResponse, isHttps: boolean): Finding[] {
  const findings: Finding[] = [];
  const at = { method: response.method, path: response.path };
  const evidence = (header: string) =>
    formatEvidence(response, { responseHeaders: [header], bodyChars: 120 });
  const hsts = response.headers.get('strict-transport-security');
  if (isHttps && (!hsts || !/max-age=\d{7,}/.test(hsts))) {
    findings.push(
      createFinding('HDR-HSTS-MISSING', {
        ...at,
        detail: hsts
          ? `Strict-Transport-Security over https has a max-age below 1,000,000 s (12 days): ${hsts}`
          : 'An https response without a Strict-Transport-Security header',
        evidence: evidence('strict-transport-security'),
      }),
    );
  }
  if ((response.headers.get('x-content-type-options') ?? '').toLowerCase() !== 'nosniff') {
    findings.push(
      createFinding('HDR-NOSNIFF-MISSING', {
        ...at,
        detail: 'X-Content-Type-Options is not nosniff',
        evidence: evidence('x-content-type-options'),
      }),
    );
  }
  const csp = response.headers.get('content-security-policy') ?? '';
  if (!/frame-ancestors\s+'none'/i.test(csp) && !/default-src\s+'none'/i.test(csp)) {
    findings.push(
      createFinding('HDR-CSP-MISSING', {
        ...at,
        detail: csp ? `CSP lacks frame-ancestors 'none': ${csp}` : 'No Content-Security-Policy header',
        evidence: evidence('content-security-policy'),
      }),
    );
  }
  if (!response.headers.get('referrer-policy')) {
    findings.push(
      createFinding('HDR-REFERRER-POLICY-MISSING', {
        ...at,
        detail: 'No Referrer-Policy header',
        evidence: evidence('referrer-policy'),
      }),
    );
  }
  for (const header of ['server', 'x-powered-by']) {
    const value = response.headers.get(header);
    if (value && (header === 'x-powered-by' || bannerPattern.test(value))) {
      findings.push(
        createFinding('HDR-SERVER-BANNER', {
          ...at,
          detail: `${header}: ${value}`,
          evidence: evidence(header),
          key: header,
        }),
      );
    }
  }
  return findings;
}

export function checkAuthenticatedCaching(response: ProbeResponse): Finding[] {
  if (response.status >= 400) return [];
  const cacheControl = (response.headers.get('cache-control') ?? '').toLowerCase();
  if (cacheControl.includes('no-store')) return [];
  return [
    createFinding('HDR-CACHE-CONTROL-AUTH', {
      method: response.method,
      path: response.path,
      detail: cacheControl
        ? `Cache-Control is "${cacheControl}" without no-store`
        : 'No Cache-Control header on a response with user data',
      evidence: formatEvidence(response, { responseHeaders: ['cache-control'], bodyChars: 80 }),
    }),
  ];
}

async function checkTransport(context: ProbeContext, isHttps: boolean, notes: string[]): Promise<Finding[]> {
  const base = new URL(context.target.baseUrl);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  if (!isHttps) {
    if (isLoopbackHost(host)) {
      notes.push('TLS not checked: loopback http target');
      return [];
    }
    const evidence = { request: `GET ${base.origin}/`, response: 'plain HTTP (no TLS)' };
    return [
      createFinding('TLS-PLAINTEXT', {
        method: 'GET',
        path: '/',
        detail: `The target's base URL is ${base.origin}`,
        evidence,
        severity: context.target.production ? 'high' : 'medium',
      }),
    ];
  }
  const port = Number(base.port || 443);
  context.http.reserve(base.toString());
  context.http.reserve(base.toString());
  context.http.reserve(base.toString());
  const report = await inspectTls(host, port);
  const findings: Finding[] = [];
  for (const handshake of report.handshakes.filter((h) => h.accepted)) {
    findings.push(
      createFinding('TLS-OLD-VERSION', {
        method: 'CONNECT',
        path: '/',
        detail: `${handshake.version} handshake completed`,
        evidence: {
          request: `TLS ClientHello pinned to ${handshake.version} to ${host}:${port}`,
          response: `handshake completed with ${handshake.version}`,
        },
        key: handshake.version,
        confidence: 'certain',
      }),
    );
  }
  if (report.certificate) {
    const days = (report.certificate.validTo.getTime() - Date.now()) / 86_400_000;
    if (days < 30) {
      findings.push(
        createFinding('TLS-CERT-EXPIRY', {
          method: 'CONNECT',
          path: '/',
          detail:
            days < 0
              ? `certificate expired ${Math.ceil(-days)} days ago`
              : `certificate expires in ${Math.floor(days)} days`,
          evidence: {
            request: `TLS handshake to ${host}:${port}`,
            response: `certificate CN=${report.certificate.subject} valid_to=${report.certificate.validTo.toISOString()}`,
          },
          severity: days < 0 ? 'high' : 'medium',
          confidence: 'certain',
        }),
      );
    }
  } else {
    notes.push(`could not read the certificate of ${host}:${port}`);
  }
  return findings;
}
