/** PATCH /users/me (first_name, last_name, phone only, unless `mass-assignment`) and GET /admin/users (admin only). */
import type { FastifyInstance } from 'fastify';
import { type ApiContext, query } from '../context.js';
import { type CurrentUser, requireUser, toPublicUser } from '../current-user.js';
import { readInt } from '../params.js';
import { type FieldError, fieldError, validationError } from '../problem.js';

const EDITABLE = ['first_name', 'last_name', 'phone'] as const;
const ROLES = ['student', 'instructor', 'admin'];

export function registerUserRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.patch('/users/me', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    const updates: Record<string, unknown> = {};
    for (const field of EDITABLE) {
      const value = body[field];
      if (value === undefined) continue;
      if (field === 'phone' && value === null) updates.phone = null;
      else if (typeof value !== 'string' || value.trim().length === 0 || value.length > 100)
        errors.push(
          fieldError('body', field, 'Input should be a string of 1 to 100 characters', 'string_type'),
        );
      else updates[field] = value.trim();
    }
    if (ctx.weak.has('mass-assignment')) {
      if (typeof body.role === 'string' && ROLES.includes(body.role)) updates.role = body.role;
      if (body.is_admin === true) updates.role = 'admin';
      if (typeof body.is_active === 'boolean') updates.is_active = body.is_active;
    }
    // hardened: other fields (role, is_admin, ...) are ignored, as the platform's schema does
    if (errors.length > 0) throw validationError(errors);
    let updated: CurrentUser = user;
    const fields = Object.keys(updates);
    if (fields.length > 0) {
      const sets = fields.map((f, i) => `${f} = $${i + 2}`).join(', ');
      const { rows } = await query<CurrentUser>(
        ctx.pool,
        `UPDATE users SET ${sets}, updated_at = now() WHERE id = $1 RETURNING id, email, role, first_name, last_name, phone, is_active`,
        [user.id, ...fields.map((f) => updates[f])],
      );
      updated = rows[0] ?? user;
    }
    reply.header('cache-control', 'no-store');
    return toPublicUser(updated);
  });

  app.get('/admin/users', async (request, reply) => {
    await requireUser(ctx, request, ['admin']);
    const raw = request.query as Record<string, string | undefined>;
    const errors: FieldError[] = [];
    const page = readInt(raw.page, 'page', errors, { min: 1, fallback: 1 }) ?? 1;
    const perPage = readInt(raw.per_page, 'per_page', errors, { min: 1, max: 100, fallback: 20 }) ?? 20;
    if (raw.role && !ROLES.includes(raw.role))
      errors.push(fieldError('query', 'role', `Input should be one of ${ROLES.join(', ')}`, 'enum'));
    if (errors.length > 0) throw validationError(errors);
    const { rows } = await query<CurrentUser & { total: string }>(
      ctx.pool,
      `SELECT id, email, role, first_name, last_name, phone, is_active, count(*) OVER () AS total FROM users
        WHERE ($1::text IS NULL OR role = $1) ORDER BY id LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
      [raw.role ?? null],
    );
    const total = Number(rows[0]?.total ?? 0);
    reply.header('cache-control', 'no-store');
    return {
      items: rows.map(toPublicUser),
      total,
      page,
      per_page: perPage,
      has_next: page * perPage < total,
      has_prev: page > 1,
    };
  });
}
