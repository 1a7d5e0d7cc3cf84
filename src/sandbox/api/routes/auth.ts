/** POST /auth/login (form), POST /auth/logout, GET /auth/me. */
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, query } from '../context.js';
import { requireUser, toPublicUser } from '../current-user.js';
import { ApiError, fieldError, validationError } from '../problem.js';
import { applyRouteLimit, getClientIp, hasBypass, sendRateLimited } from '../security.js';
import { signAccessToken } from '../tokens.js';

const lockoutSteps: Array<[failures: number, seconds: number]> = [
  [20, 3600],
  [15, 1800],
  [10, 300],
  [5, 60],
];

function readCredentials(body: unknown): { email: string; password: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const email = typeof b.username === 'string' ? b.username : typeof b.email === 'string' ? b.email : '';
  const password = typeof b.password === 'string' ? b.password : '';
  const errors = [];
  if (!email) errors.push(fieldError('body', 'username', 'Field required', 'missing'));
  if (!password) errors.push(fieldError('body', 'password', 'Field required', 'missing'));
  if (errors.length > 0) throw validationError(errors);
  return { email: email.trim().toLowerCase(), password };
}

export function registerAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/auth/login', async (request, reply) => {
    const { email, password } = readCredentials(request.body);
    const throttled = !ctx.weak.has('no-login-throttle') && !hasBypass(ctx, request);
    if (throttled) {
      const ip = getClientIp(ctx, request);
      const checks = [
        applyRouteLimit(ctx, request, 'loginIp', ip, ctx.rateLimits.loginPerIpPerMinute),
        applyRouteLimit(ctx, request, 'loginEmail', email, ctx.rateLimits.loginPerEmailPerMinute),
        applyRouteLimit(ctx, request, 'loginEmailHour', email, 20, 3_600_000),
      ];
      const blocked = checks.find((d) => d && !d.allowed);
      if (blocked) {
        ctx.metrics.loginAttempts.inc({ result: 'rate_limited' });
        return sendRateLimited(request, reply, blocked, 'Too many login attempts. Try again later.');
      }
      const lockout = ctx.lockouts.get(email);
      if (lockout && lockout.lockedUntil > Date.now()) {
        ctx.metrics.loginAttempts.inc({ result: 'locked' });
        const seconds = Math.max(1, Math.ceil((lockout.lockedUntil - Date.now()) / 1000));
        reply.header('retry-after', String(seconds));
        throw new ApiError(429, 'ACCOUNT_LOCKED', 'Too many failed login attempts. Try again later.', {
          extra: { retry_after: seconds },
        });
      }
    }
    const { rows } = await query<{ id: string; email: string; hashed_password: string; is_active: boolean }>(
      ctx.pool,
      'SELECT id, email, hashed_password, is_active FROM users WHERE lower(email) = $1',
      [email],
    );
    const user = rows[0];
    // compare against a dummy hash for unknown users so the answer and its timing match a wrong password
    const matches = await bcrypt.compare(password, user?.hashed_password ?? ctx.dummyHash);
    if (!user || !matches || !user.is_active) {
      ctx.metrics.loginAttempts.inc({ result: 'failure' });
      if (throttled) {
        const entry = ctx.lockouts.get(email) ?? { failures: 0, lockedUntil: 0 };
        entry.failures++;
        const step = lockoutSteps.find(
          ([failures]) => entry.failures >= failures && entry.failures % 5 === 0,
        );
        if (step) entry.lockedUntil = Date.now() + step[1] * 1000;
        ctx.lockouts.set(email, entry);
      }
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'Incorrect email or password');
    }
    ctx.lockouts.delete(email);
    ctx.metrics.loginAttempts.inc({ result: 'success' });
    const token = await signAccessToken(ctx, user);
    reply.setCookie('sid', token, {
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      maxAge: ctx.jwt.lifetimeSeconds,
    });
    reply.header('cache-control', 'no-store');
    return { requires_2fa: false };
  });

  app.post('/auth/logout', async (_request, reply) => {
    reply.clearCookie('sid', { path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
    return { message: 'Logged out' };
  });

  app.get('/auth/me', async (request) => toPublicUser(await requireUser(ctx, request)));
}
