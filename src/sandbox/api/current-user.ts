/** Who is calling: the access token from `Authorization: Bearer` or the `sid` cookie, checked against the users table. */
import type { FastifyRequest } from 'fastify';
import { type ApiContext, query } from './context.js';
import { ApiError } from './problem.js';
import { verifyAccessToken } from './tokens.js';

export type Role = 'student' | 'instructor' | 'admin';

export interface CurrentUser {
  id: string;
  email: string;
  role: Role;
  first_name: string;
  last_name: string;
  phone: string | null;
  is_active: boolean;
}

export function readAccessToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^bearer\s+/i.test(header)) return header.replace(/^bearer\s+/i, '').trim();
  return request.cookies?.sid;
}

/** The authenticated user, or 401; with `roles`, 403 for anyone else. */
export async function requireUser(
  ctx: ApiContext,
  request: FastifyRequest,
  roles?: Role[],
): Promise<CurrentUser> {
  const token = readAccessToken(request);
  if (!token) throw new ApiError(401, 'NOT_AUTHENTICATED', 'Not authenticated');
  const claims = await verifyAccessToken(ctx, token);
  if (!claims) throw new ApiError(401, 'INVALID_TOKEN', 'Could not validate credentials');
  const { rows } = await query<CurrentUser>(
    ctx.pool,
    'SELECT id, email, role, first_name, last_name, phone, is_active FROM users WHERE id = $1',
    [claims.sub],
    { prepare: true },
  );
  const user = rows[0];
  if (!user?.is_active) throw new ApiError(401, 'INVALID_TOKEN', 'Could not validate credentials');
  (request as FastifyRequest & { authenticated?: boolean }).authenticated = true;
  if (roles && !roles.includes(user.role))
    throw new ApiError(403, 'FORBIDDEN', `This route needs the ${roles.join(' or ')} role`);
  return user;
}

export function toPublicUser(user: CurrentUser) {
  return {
    id: user.id,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    phone: user.phone,
    role: user.role,
    roles: [user.role],
    is_active: user.is_active,
  };
}
