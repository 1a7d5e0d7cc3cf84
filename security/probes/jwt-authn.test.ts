import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmbeddedJWK, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPlatform } from '../../src/core/platform/defaults.js';
import { decodeJwt, hmacSignature } from '../jwt-tokens.js';
import { getBuiltinRoutes, type RouteSpec } from '../routes.js';
import { createLocalContext, type LocalServer, startLocalServer } from '../test/context.js';
import { authnProbe } from './authn.js';
import { authzProbe } from './authz.js';
import { jwtProbe } from './jwt.js';

type Flaw = 'key-confusion' | 'jwk-header' | 'kid-devnull' | 'open-routes' | 'no-roles' | 'enumeration';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** A tiny RS256 API with chosen verification flaws, each a classic library misuse. */
function createVulnerableApi(flaws: Flaw[]) {
  const has = (flaw: Flaw) => flaws.includes(flaw);
  const verify = async (token: string): Promise<boolean> => {
    const decoded = decodeJwt(token);
    if (!decoded) return false;
    const alg = decoded.header.alg;
    if (alg === 'HS256' && has('key-confusion'))
      return hmacSignature('HS256', decoded.signingInput, publicKeyPem) === decoded.signature;
    if (alg === 'HS256' && has('kid-devnull') && String(decoded.header.kid ?? '').includes('dev/null')) {
      return hmacSignature('HS256', decoded.signingInput, '') === decoded.signature;
    }
    if (decoded.header.jwk && has('jwk-header'))
      return jwtVerify(token, EmbeddedJWK).then(
        () => true,
        () => false,
      );
    return jwtVerify(token, publicKey, { algorithms: ['RS256'], audience: 'app', issuer: 'api' }).then(
      () => true,
      () => false,
    );
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (path === '/api/v1/auth/login' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const known = /^(studentA|studentB|instructor|admin)@example\.com$/.test(form.get('username') ?? '');
      if (!known || form.get('password') !== 'pw') {
        return send(401, {
          detail: has('enumeration') && !known ? 'No such user' : 'Incorrect email or password',
        });
      }
      const jwt = await new SignJWT({ typ: 'access' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .setSubject(form.get('username')!)
        .setIssuedAt()
        .setExpirationTime('30m')
        .setAudience('app')
        .setIssuer('api')
        .sign(privateKey);
      res.setHeader('set-cookie', `sid=${jwt}; HttpOnly; Path=/`);
      return send(200, { requires_2fa: false });
    }
    if (path.startsWith('/api/v1/bookings') && has('open-routes')) return send(200, { items: [] });
    if (!token || !(await verify(token))) return send(401, { detail: 'Not authenticated' });
    const role = String(decodeJwt(token)!.payload.sub).split('@')[0];
    if (path === '/api/v1/admin/users' && role !== 'admin' && !has('no-roles'))
      return send(403, { detail: 'Forbidden' });
    if (path === '/api/v1/instructors/me/bookings' && role !== 'instructor' && !has('no-roles'))
      return send(403, { detail: 'Forbidden' });
    return send(200, { id: 'me', role });
  };
}

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('JWT probe against a tiny RS256 API', () => {
  it('reports nothing against a strict verifier and lists the key-confusion check as not run without a public key', async () => {
    server = await startLocalServer(createVulnerableApi([]));
    const { findings, notRun } = await jwtProbe.run(
      createLocalContext(server.url, [], {}, { withAccounts: true }),
    );
    expect(findings).toEqual([]);
    expect(notRun).toEqual([
      { check: 'RS/HS key confusion', reason: 'no public key configured (--jwt-public-key)' },
      {
        check: 'expired token refused',
        reason: expect.stringMatching(/^the signing key is unknown/),
      },
      { check: 'aud/iss enforcement', reason: expect.stringMatching(/^the signing key is unknown/) },
    ]);
  });

  it('RS/HS key confusion: reported only when the public key is configured', async () => {
    server = await startLocalServer(createVulnerableApi(['key-confusion']));
    const without = await jwtProbe.run(createLocalContext(server.url, [], {}, { withAccounts: true }));
    expect(without.findings).toEqual([]);
    const withKey = await jwtProbe.run(
      createLocalContext(server.url, [], { jwtPublicKeyPem: publicKeyPem }, { withAccounts: true }),
    );
    expect(withKey.findings.map((f) => f.ruleId)).toEqual(['JWT-KEY-CONFUSION']);
  });

  it('embedded jwk and kid path traversal are reported', async () => {
    server = await startLocalServer(createVulnerableApi(['jwk-header', 'kid-devnull']));
    const { findings } = await jwtProbe.run(createLocalContext(server.url, [], {}, { withAccounts: true }));
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['JWT-JWK-INJECTION', 'JWT-KID-INJECTION']);
    expect(findings.find((f) => f.ruleId === 'JWT-KID-INJECTION')!.evidence.note).toMatch(
      /"kid":"..\/..\/..\/..\/..\/..\/dev\/null"/,
    );
  });
});

describe('authentication and function-level authorization against a tiny API', () => {
  it('reports a secured route that answers without a token, and a login that reveals unknown users', async () => {
    server = await startLocalServer(createVulnerableApi(['open-routes', 'enumeration']));
    const context = createLocalContext(
      server.url,
      getBuiltinRoutes(defaultPlatform),
      {},
      { withAccounts: true },
    );
    const { findings } = await authnProbe.run(context);
    const missing = findings
      .filter((f) => f.ruleId === 'AUTHN-MISSING')
      .map((f) => `${f.location.method} ${f.location.path}`);
    expect(missing.sort()).toEqual([
      'GET /api/v1/bookings/01HZZZZZZZZZZZZZZZZZZZZZZZ',
      'POST /api/v1/bookings',
      'POST /api/v1/bookings/01HZZZZZZZZZZZZZZZZZZZZZZZ/cancel',
      'POST /api/v1/bookings/check-availability',
    ]);
    expect(findings.find((f) => f.ruleId === 'AUTHN-USER-ENUMERATION')!.detail).toMatch(/different body/);
    // this API has no login limit at all
    expect(findings.some((f) => f.ruleId === 'AUTHN-NO-LOGIN-THROTTLE')).toBe(true);
  });

  it('function-level checks need role routes the spec does not have: not run without them', async () => {
    server = await startLocalServer(createVulnerableApi(['no-roles']));
    const context = createLocalContext(
      server.url,
      getBuiltinRoutes(defaultPlatform),
      { readOnly: true },
      { withAccounts: true },
    );
    const { findings, notRun } = await authzProbe.run(context);
    expect(findings).toEqual([]);
    expect(notRun!.map((n) => n.check)).toEqual(['function-level authorization', 'BOLA', 'mass assignment']);
    expect(notRun![0]!.reason).toMatch(/no instructor- or admin-only route is known .* --routes/);
  });

  it('reports student and instructor tokens accepted on role routes named with --routes', async () => {
    server = await startLocalServer(createVulnerableApi(['no-roles']));
    const roleRoutes: RouteSpec[] = [
      { method: 'GET', path: '/admin/users', auth: 'admin', params: [], source: 'config' },
      { method: 'GET', path: '/instructors/me/bookings', auth: 'instructor', params: [], source: 'config' },
    ];
    const context = createLocalContext(
      server.url,
      [...getBuiltinRoutes(defaultPlatform), ...roleRoutes],
      { readOnly: true },
      { withAccounts: true },
    );
    const { findings } = await authzProbe.run(context);
    expect(findings.map((f) => `${f.ruleId} ${f.location.path} ${f.detail.split(' ')[1]}`).sort()).toEqual([
      'AUTHZ-FUNCTION-LEVEL /api/v1/admin/users instructor',
      'AUTHZ-FUNCTION-LEVEL /api/v1/admin/users student',
      'AUTHZ-FUNCTION-LEVEL /api/v1/instructors/me/bookings student',
    ]);
  });
});
