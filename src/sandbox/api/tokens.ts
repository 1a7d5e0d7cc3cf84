/** Access tokens: HS256 JWTs via jose with sub, email, exp, iat, jti, typ "access", aud and iss enforced. */
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { ApiContext } from './context.js';

export const WEAK_JWT_SECRET = 'changeme';

export interface AccessClaims {
  sub: string;
  email: string;
  typ: string;
}

export async function signAccessToken(ctx: ApiContext, user: { id: string; email: string }): Promise<string> {
  return new SignJWT({ email: user.email, typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime(`${ctx.jwt.lifetimeSeconds}s`)
    .setJti(randomUUID())
    .setIssuer(ctx.jwt.issuer)
    .setAudience(ctx.jwt.audience)
    .sign(ctx.jwt.secret);
}

/** Verifies a token; undefined when it is not acceptable. The weakness switches loosen exactly one check each. */
export async function verifyAccessToken(ctx: ApiContext, token: string): Promise<AccessClaims | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg === 'string' && header.alg.toLowerCase() === 'none') {
      if (!ctx.weak.has('jwt-alg-none')) return undefined;
      const claims = decodeJwt(token);
      if (
        !ctx.weak.has('jwt-no-expiry-check') &&
        typeof claims.exp === 'number' &&
        claims.exp * 1000 < Date.now()
      )
        return undefined;
      return toClaims(claims);
    }
    const { payload } = await jwtVerify(token, ctx.jwt.secret, {
      algorithms: ['HS256'],
      issuer: ctx.jwt.issuer,
      audience: ctx.jwt.audience,
      // a clock at the epoch never sees a token as expired
      ...(ctx.weak.has('jwt-no-expiry-check') ? { currentDate: new Date(0) } : {}),
    });
    return toClaims(payload);
  } catch {
    return undefined;
  }
}

function toClaims(payload: Record<string, unknown>): AccessClaims | undefined {
  if (typeof payload.sub !== 'string' || payload.typ !== 'access') return undefined;
  return { sub: payload.sub, email: String(payload.email ?? ''), typ: 'access' };
}
