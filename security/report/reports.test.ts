import { describe, expect, it } from 'vitest';
import { createPaint } from '../../src/core/output.js';
import { applyBaseline } from '../baseline.js';
import { createFinding } from '../findings.js';
import type { ScanResult } from '../scan.js';
import { parseXml, validateSarif } from '../test/validate.js';
import { toJsonReport } from './json.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';
import { buildReport } from './model.js';
import { toRelativeUri, toSarif } from './sarif.js';
import { formatTableReport } from './table.js';

const nasty =
  'body with <tags> & "quotes" \'apostrophes\' | pipes \u0001control and a token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

function fixtureResult(): ScanResult {
  const findings = [
    createFinding('SQLI-TIME', {
      method: 'GET',
      path: '/api/v1/search',
      key: 'query:region',
      detail: 'pg_sleep delays the response',
      evidence: { request: 'GET /api/v1/search?region=x%27%7C%7C', response: nasty },
    }),
    createFinding('EXPOSED-API-DOCS', {
      method: 'GET',
      path: '/docs',
      detail: '/docs serves API documentation',
      evidence: { request: 'GET /docs', response: 'HTTP 200' },
    }),
    createFinding('AUTHZ-BOLA', {
      method: 'GET',
      path: '/api/v1/bookings/{id}',
      key: 'read',
      detail: "Student B read student A's booking",
      evidence: {
        request:
          'GET /api/v1/bookings/01J0000000000000000000000A\nauthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        response: 'HTTP 200',
      },
    }),
    createFinding('HDR-SERVER-BANNER', {
      method: 'GET',
      path: '/',
      detail: 'server: uvicorn',
      evidence: { request: 'GET /', response: 'server: uvicorn' },
    }),
  ];
  return {
    target: {
      name: 'staging',
      baseUrl: 'https://api.staging.example.com',
      environment: 'staging',
      production: false,
    },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234,
    requests: 321,
    budget: 3000,
    resent: 0,
    transientErrors: [],
    probes: [
      { name: 'injection', status: 'ok', findings: 1, notes: [], notRun: [], durationMs: 800, requests: 200 },
      { name: 'exposure', status: 'ok', findings: 1, notes: [], notRun: [], durationMs: 100, requests: 40 },
      { name: 'authz', status: 'ok', findings: 1, notes: [], notRun: [], durationMs: 100, requests: 20 },
      { name: 'headers', status: 'ok', findings: 1, notes: [], notRun: [], durationMs: 10, requests: 3 },
      {
        name: 'cors',
        status: 'incomplete',
        findings: 0,
        notes: ['stopped: request budget of 3000 exhausted'],
        notRun: [],
        durationMs: 10,
        requests: 30,
      },
    ],
    findings,
    openapiUrl: undefined,
  };
}

function fixtureReport() {
  const result = fixtureResult();
  const baseline = {
    version: 1 as const,
    entries: [
      {
        id: 'EXPOSED-API-DOCS',
        owner: 'platform-team',
        reason: 'docs are public on staging by design',
        expires: '2999-01-01',
      },
      {
        fingerprint: result.findings.find((f) => f.ruleId === 'HDR-SERVER-BANNER')!.fingerprint,
        owner: 'bob',
        reason: 'old',
        expires: '2020-01-01',
      },
    ],
  };
  return buildReport(result, applyBaseline(result.findings, baseline), 'high');
}

describe('report formats', () => {
  it('SARIF validates against the SARIF 2.1.0 schema and carries what GitHub code scanning reads', () => {
    const sarif = toSarif(fixtureReport());
    expect(validateSarif(sarif)).toEqual([]);
    const run = sarif.runs[0]!;
    const results = run.results;
    expect(results.map((r) => r.ruleId).sort()).toEqual([
      'AUTHZ-BOLA',
      'EXPOSED-API-DOCS',
      'HDR-SERVER-BANNER',
      'SQLI-TIME',
    ]);
    const sqli = results.find((r) => r.ruleId === 'SQLI-TIME')!;
    expect(sqli.level).toBe('error');
    expect(sqli.locations[0]!.physicalLocation.artifactLocation.uri).toBe('api/v1/search');
    expect(sqli.message.text).toContain('https://api.staging.example.com');
    expect(sqli.partialFingerprints['preflightFindingHash/v1']).toMatch(/^[0-9a-f]{24}$/);
    expect(run.tool.driver.rules[sqli.ruleIndex]!.id).toBe('SQLI-TIME');
    expect(run.tool.driver.rules[sqli.ruleIndex]!.properties['security-severity']).toBe('9.5');
    expect(run.tool.driver.rules[sqli.ruleIndex]!.help.markdown).toMatch(
      /Remediation \(FastAPI\/Starlette\)/,
    );
    expect(results.find((r) => r.ruleId === 'EXPOSED-API-DOCS')!.suppressions?.[0]?.status).toBe('accepted');
    expect(JSON.stringify(sarif)).not.toContain('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0');
  });

  it('the schema check really rejects a broken SARIF log', () => {
    const sarif = toSarif(fixtureReport()) as unknown as {
      version: string;
      runs: Array<{ results: Array<{ level: string }> }>;
    };
    sarif.version = '2.0.0';
    sarif.runs[0]!.results[0]!.level = 'fatal';
    expect(validateSarif(sarif).length).toBeGreaterThanOrEqual(2);
  });

  it('relative URIs: no leading slash, braces and spaces encoded, existing escapes kept', () => {
    expect(toRelativeUri('/api/v1/bookings/{id}')).toBe('api/v1/bookings/%7Bid%7D');
    expect(toRelativeUri('/')).toBe('.');
    expect(toRelativeUri('/a%27b c')).toBe('a%27b%20c');
  });

  it('JUnit is well-formed XML with failures for gated findings, skipped for baselined ones, and an escaped body', () => {
    const xml = toJunit(fixtureReport());
    const parsed = parseXml(xml) as { testsuites: Record<string, unknown> };
    expect(parsed.testsuites['@tests']).toBe('5');
    // SQLI-TIME and AUTHZ-BOLA are >= high; the incomplete cors probe fails too
    expect(parsed.testsuites['@failures']).toBe('3');
    expect(parsed.testsuites['@skipped']).toBe('1');
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('&lt;tags&gt; &amp; &quot;quotes&quot;');
    expect(() => parseXml('<testsuites><testsuite></testsuites>')).toThrow(/not well-formed/);
  });

  it('Markdown, table and JSON show the gate, the expired baseline entry and no secrets', () => {
    const report = fixtureReport();
    const md = toMarkdown(report);
    expect(md).toMatch(/:x: \*\*2 finding\(s\) at or above high\*\*/);
    expect(md).toMatch(/HDR-SERVER-BANNER .* \(baseline entry expired\)/);
    expect(md).toContain('docs are public on staging by design');
    const table = formatTableReport(report, createPaint(false));
    expect(table).toMatch(/CRITICAL \(1\)[\s\S]*HIGH \(1\)[\s\S]*LOW \(1\)/);
    expect(table).toMatch(/FAIL: 2 finding\(s\) at or above high/);
    const json = toJsonReport(report);
    expect(json.ok).toBe(false);
    expect(json.counts).toEqual({ critical: 1, high: 1, medium: 0, low: 1, info: 0 });
    expect(JSON.stringify(json)).not.toContain('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0');
  });

  it('a check that did not run is listed with its reason in SARIF notifications, JUnit, Markdown, JSON and the table, never as a result', () => {
    const result = fixtureResult();
    result.probes.find((p) => p.name === 'headers')!.notRun = [
      { check: 'HSTS', reason: 'the target is plain http (http://127.0.0.1:1)' },
    ];
    result.probes.push({
      name: 'resource',
      status: 'ok',
      findings: 0,
      notes: [],
      notRun: [
        { check: 'body size limit (413)', reason: 'POST /bookings/check-availability answered HTTP 405' },
      ],
      durationMs: 5,
      requests: 1,
    });
    const report = buildReport(result, applyBaseline(result.findings, { version: 1, entries: [] }), 'high');
    const sarif = toSarif(report);
    expect(validateSarif(sarif)).toEqual([]);
    const notifications = sarif.runs[0]!.invocations[0]!.toolExecutionNotifications;
    expect(notifications.map((n) => [n.level, n.descriptor.id, n.message.text])).toEqual([
      [
        'note',
        'not-run/headers/HSTS',
        'headers: HSTS not run: the target is plain http (http://127.0.0.1:1)',
      ],
      [
        'note',
        'not-run/resource/body size limit (413)',
        'resource: body size limit (413) not run: POST /bookings/check-availability answered HTTP 405',
      ],
    ]);
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).not.toContain('BODY-SIZE-UNLIMITED');
    const junit = parseXml(toJunit(report)) as {
      testsuites: { '@skipped': string; testsuite: Array<{ '@name': string; testcase: unknown }> };
    };
    expect(junit.testsuites['@skipped']).toBe('2');
    const resourceSuite = junit.testsuites.testsuite.find((t) => t['@name'] === 'preflight scan: resource')!;
    expect(resourceSuite.testcase).toEqual([
      {
        '@classname': 'preflight.scan.resource',
        '@name': 'body size limit (413): not run',
        '@time': '0',
        skipped: { '@message': 'not run: POST /bookings/check-availability answered HTTP 405' },
      },
      // the checks that ran found nothing
      { '@classname': 'preflight.scan.resource', '@name': 'resource: no findings', '@time': '0.005' },
    ]);
    expect(toMarkdown(report)).toMatch(
      /\*\*Not run \(2\)\*\*[\s\S]*\| resource \| body size limit \(413\) \| POST \/bookings\/check-availability answered HTTP 405 \|/,
    );
    expect(toJsonReport(report).notRun).toEqual([
      { probe: 'headers', check: 'HSTS', reason: 'the target is plain http (http://127.0.0.1:1)' },
      {
        probe: 'resource',
        check: 'body size limit (413)',
        reason: 'POST /bookings/check-availability answered HTTP 405',
      },
    ]);
    expect(formatTableReport(report, createPaint(false))).toMatch(
      /Not run \(2\):[\s\S]*resource +body size limit \(413\) +POST \/bookings\/check-availability answered HTTP 405/,
    );
  });
});
