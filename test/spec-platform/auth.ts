// Login (form), the sid/rid cookies, HS256 access tokens and the current user of a request.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { jwtVerify, SignJWT } from 'jose';
import { type AppContext, isDeployed } from './context.js';
import {
  HttpProblem,
  isUlid,
  type RequestContext,
  readFormBody,
  sendJson,
  validationProblem,
} from './http-kit.js';
import { sendRateLimited } from './rate-limit.js';

export interface CurrentUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: 'student' | 'instructor' | 'admin';
}

const ACCESS_MINUTES = 720;
const REFRESH_DAYS = 7;
// compared when the email is unknown so both failures cost the same
const DUMMY_HASH = bcrypt.hashSync('not-a-real-password', 8);

const secretKey = (app: AppContext) => new TextEncoder().encode(app.settings.jwtSecret);

async function signToken(app: AppContext, user: CurrentUser, typ: 'access' | 'refresh', seconds: number) {
  return new SignJWT({ email: user.email, typ })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .setJti(randomUUID())
    .setIssuer(app.settings.jwtIssuer)
    .setAudience(app.settings.jwtAudience)
    .sign(secretKey(app));
}

function buildCookie(app: AppContext, name: string, value: string, path: string, maxAge: number): string {
  const secure = isDeployed(app.settings) ? '; Secure' : '';
  return `${name}=${value}; HttpOnly${secure}; SameSite=Lax; Path=${path}; Max-Age=${maxAge}`;
}

function readCookie(ctx: RequestContext, name: string): string | undefined {
  for (const part of (ctx.req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

const unauthorized = (detail: string) =>
  new HttpProblem(401, 'UNAUTHORIZED', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

/** The user of a request (Bearer token, else the sid cookie); 401 otherwise. */
export async function authenticate(ctx: RequestContext, app: AppContext): Promise<CurrentUser> {
  const header = ctx.req.headers.authorization;
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const token = bearer ?? readCookie(ctx, 'sid');
  if (!token) throw unauthorized('Not authenticated');
  let sub: unknown;
  try {
    const { payload } = await jwtVerify(token, secretKey(app), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      ...(isDeployed(app.settings)
        ? { issuer: app.settings.jwtIssuer, audience: app.settings.jwtAudience }
        : {}),
    });
    if (payload.typ !== 'access') throw new Error('not an access token');
    sub = payload.sub;
  } catch {
    throw unauthorized('Could not validate credentials');
  }
  if (!isUlid(sub)) throw unauthorized('Could not validate credentials');
  const { rows } = await app.pool.query<CurrentUser>(
    'SELECT id, email, first_name, last_name, role FROM users WHERE id = $1 AND is_active',
    [sub],
  );
  const user = rows[0];
  if (!user) throw unauthorized('Could not validate credentials');
  return user;
}

export async function requireRole(
  ctx: RequestContext,
  app: AppContext,
  role: CurrentUser['role'],
): Promise<CurrentUser> {
  const user = await authenticate(ctx, app);
  if (user.role !== role) throw new HttpProblem(403, 'FORBIDDEN', `This action needs the ${role} role`);
  return user;
}

/** Counts a hit on a per-route bucket; answers 429 and returns false when it is full (the bypass skips it). */
export function takeRouteLimit(
  ctx: RequestContext,
  app: AppContext,
  bucket: string,
  key: string,
  limit: number,
): boolean {
  if (ctx.bypass) return true;
  const decision = app.limiter.take(`${bucket}:${key}`, limit);
  app.metrics.rateLimitDecisions.inc({
    bucket,
    action: decision.allowed ? 'allow' : 'block',
    shadow: 'false',
  });
  if (decision.allowed) return true;
  sendRateLimited(ctx, decision);
  return false;
}

export async function handleLogin(ctx: RequestContext, app: AppContext): Promise<void> {
  const form = await readFormBody(ctx);
  const username = form.get('username')?.trim().toLowerCase();
  const password = form.get('password');
  const missing = [
    ...(username ? [] : [{ loc: ['body', 'username'], msg: 'Field required', type: 'missing' }]),
    ...(password ? [] : [{ loc: ['body', 'password'], msg: 'Field required', type: 'missing' }]),
  ];
  if (missing.length > 0) throw validationProblem(missing);
  const { limits } = app.settings;
  if (!takeRouteLimit(ctx, app, 'login_ip', ctx.ip, limits.loginPerIp)) return;
  if (!takeRouteLimit(ctx, app, 'login_email', username!, limits.loginPerEmail)) return;
  const { rows } = await app.pool.query<CurrentUser & { hashed_password: string }>(
    'SELECT id, email, first_name, last_name, role, hashed_password FROM users WHERE lower(email) = $1 AND is_active',
    [username],
  );
  const user = rows[0];
  const matches = await bcrypt.compare(password!, user?.hashed_password ?? DUMMY_HASH);
  if (!user || !matches) {
    app.metrics.loginAttempts.inc({ result: 'failure' });
    throw new HttpProblem(401, 'INVALID_CREDENTIALS', 'Incorrect email or password');
  }
  app.metrics.loginAttempts.inc({ result: 'success' });
  const access = await signToken(app, user, 'access', ACCESS_MINUTES * 60);
  const refresh = await signToken(app, user, 'refresh', REFRESH_DAYS * 86_400);
  ctx.res.setHeader('Set-Cookie', [
    buildCookie(app, 'sid', access, '/', ACCESS_MINUTES * 60),
    buildCookie(app, 'rid', refresh, '/api/v1/auth/refresh', REFRESH_DAYS * 86_400),
  ]);
  sendJson(ctx, 200, { requires_2fa: false });
}

export async function handleMe(ctx: RequestContext, app: AppContext): Promise<void> {
  const user = await authenticate(ctx, app);
  sendJson(ctx, 200, {
    id: user.id,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    roles: [user.role],
  });
}
