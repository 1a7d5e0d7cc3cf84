import { afterEach, describe, expect, it } from 'vitest';
import { createLocalContext, type LocalServer, startLocalServer } from '../test/context.js';
import { buildOriginVariants, corsProbe } from './cors.js';
import { exposureProbe } from './exposure.js';
import { checkSecurityHeaders, headersProbe } from './headers.js';

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('headers probe on a bare local server', () => {
  it('reports missing nosniff, CSP, Referrer-Policy and a version banner; HSTS over plain http is not run', async () => {
    server = await startLocalServer((_req, res) => {
      res.setHeader('server', 'uvicorn/0.30.1');
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"healthy"}');
    });
    const { findings, notes, notRun } = await headersProbe.run(createLocalContext(server.url));
    expect(findings.map((f) => f.ruleId).sort()).toEqual([
      'HDR-CSP-MISSING',
      'HDR-NOSNIFF-MISSING',
      'HDR-REFERRER-POLICY-MISSING',
      'HDR-SERVER-BANNER',
    ]);
    // plain http: a browser ignores HSTS there, so the check is listed as not run (never a finding)
    expect(notRun).toEqual([
      {
        check: 'HSTS',
        reason: expect.stringMatching(/^the target is plain http \(http:\/\/127\.0\.0\.1:\d+\)/),
      },
    ]);
    expect(notes).toContain('TLS not checked: loopback http target');
    // the same response judged as an https one: HSTS is checked there
    const response = await createLocalContext(server.url).http.send({ path: '/health' });
    expect(checkSecurityHeaders(response, true).find((f) => f.ruleId === 'HDR-HSTS-MISSING')!.detail).toBe(
      'An https response without a Strict-Transport-Security header',
    );
    expect(notes.join(' ')).toMatch(/no studentA account/);
  });
});

describe('CORS probe', () => {
  it('builds at least 25 distinct Origin variants around the trusted origin', () => {
    const variants = buildOriginVariants('https://app.instainstru.com');
    expect(new Set(variants.map((v) => v.origin)).size).toBeGreaterThanOrEqual(25);
    const origins = variants.map((v) => v.origin);
    expect(origins).toEqual(
      expect.arrayContaining([
        'null',
        'http://app.instainstru.com',
        'https://app.instainstru.com.preflight-probe.example',
        'https://preflight-probe.vercel.app',
      ]),
    );
    expect(origins).not.toContain('https://app.instainstru.com');
  });

  it('flags a server that reflects any Origin with credentials, in one grouped finding per rule', async () => {
    server = await startLocalServer((req, res) => {
      if (req.headers.origin) {
        res.setHeader('access-control-allow-origin', req.headers.origin);
        res.setHeader('access-control-allow-credentials', 'true');
        res.setHeader('access-control-allow-methods', 'GET, POST, TRACE');
      }
      res.statusCode = req.method === 'OPTIONS' ? 204 : 401;
      res.end();
    });
    const { findings } = await corsProbe.run(createLocalContext(server.url));
    const rules = findings.map((f) => f.ruleId);
    expect(rules).toEqual(
      expect.arrayContaining([
        'CORS-REFLECT-CREDENTIALS',
        'CORS-NULL-ORIGIN',
        'CORS-LOOSE-MATCH',
        'CORS-PREFLIGHT-METHODS',
      ]),
    );
    const reflect = findings.filter(
      (f) => f.ruleId === 'CORS-REFLECT-CREDENTIALS' && f.location.method === 'GET',
    );
    expect(reflect).toHaveLength(1);
    expect(reflect[0]!.detail).toMatch(
      /^\d+ untrusted Origin variants are allowed with credentials: https:\/\/preflight-probe\.example/,
    );
  });

  it('does not flag an exact allowlist', async () => {
    server = await startLocalServer((req, res) => {
      if (req.headers.origin === 'https://app.example.com') {
        res.setHeader('access-control-allow-origin', req.headers.origin);
        res.setHeader('access-control-allow-credentials', 'true');
      }
      res.statusCode = 401;
      res.end();
    });
    expect((await corsProbe.run(createLocalContext(server.url))).findings).toEqual([]);
  });
});

describe('exposure probe', () => {
  it('finds a served .env, .git/config, a public metrics page and a debug route that leaks a traceback', async () => {
    server = await startLocalServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const send = (status: number, body: string) => {
        res.statusCode = status;
        res.end(body);
      };
      if (path === '/.env')
        return send(200, 'DATABASE_URL=postgres://u:p@db/app\nSECRET_KEY=leakedvalue42\n');
      if (path === '/.git/config') return send(200, '[core]\n\trepositoryformatversion = 0\n');
      if (path === '/api/v1/metrics/prometheus')
        return send(200, '# HELP x_total x\n# TYPE x_total counter\nx_total 1\n');
      if (path === '/sentry-debug')
        return send(
          500,
          'Traceback (most recent call last):\n  File "/app/main.py", line 3, in trigger_error\nZeroDivisionError: division by zero',
        );
      // a catch-all SPA page must not count as an exposed .env
      return send(200, '<html><body>APP_NAME=not a real env</body></html>');
    });
    const { findings } = await exposureProbe.run(createLocalContext(server.url));
    const byRule = (rule: string) => findings.filter((f) => f.ruleId === rule).map((f) => f.location.path);
    expect(byRule('EXPOSED-ENV-FILE')).toEqual(['/.env']);
    expect(byRule('EXPOSED-GIT')).toEqual(['/.git/config']);
    expect(byRule('EXPOSED-METRICS')).toEqual(['/api/v1/metrics/prometheus']);
    // the catch-all HTML page answers /debug, /console, ... with 200: not debug routes
    expect(byRule('EXPOSED-DEBUG-ROUTE')).toEqual(['/sentry-debug']);
    expect(JSON.stringify(findings)).not.toContain('u:p@db');
    expect(JSON.stringify(findings)).not.toContain('leakedvalue42');
    expect(findings.find((f) => f.ruleId === 'EXPOSED-ENV-FILE')!.evidence.response).toContain(
      'SECRET_KEY=***',
    );
  });
});
