/**
 * Authorization: object level (student B on student A's booking), function level (student on instructor/admin routes),
 * mass assignment (role/is_admin on the profile, status/price on a booking). Everything created is cancelled and every
 * changed field restored in `finally`.
 */
import { runCleanups } from '../../src/errors.js';
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import type { ProbeResponse } from '../http.js';
import type { Probe, ProbeContext } from '../probe.js';

const getApiPrefix = (context: ProbeContext) => new URL(context.target.apiBase).pathname.replace(/\/+$/, '');
const is2xx = (response: ProbeResponse) => response.status >= 200 && response.status < 300;

interface BookingPlan {
  instructor_id: string;
  instructor_service_id: string;
  booking_date: string;
  start_time: string;
  selected_duration: number;
  location_type: string;
  timezone: string;
}

export const authzProbe: Probe = {
  name: 'authz',
  description:
    "BOLA on another student's booking, role routes with lower roles, mass assignment of protected fields",
  phase: 'main',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const cleanups: Array<() => Promise<void>> = [];
    try {
      findings.push(...(await checkFunctionLevel(context, notes)));
      if (context.settings.readOnly) {
        notes.push(
          'BOLA and mass assignment skipped: read-only scan (they create and cancel a booking and restore a profile)',
        );
        return { findings, notes };
      }
      // bookings first: an escalated profile (restored right after its check) must never colour the BOLA result
      findings.push(...(await checkBookings(context, notes, cleanups)));
      findings.push(...(await checkProfileMassAssignment(context, notes, cleanups)));
    } finally {
      await runCleanups(cleanups);
    }
    return { findings, notes };
  },
};

async function checkFunctionLevel(context: ProbeContext, notes: string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const student = await context.session.login('studentA');
  const instructor = await context.session.login('instructor');
  const cases: Array<{ role: string; token: string | undefined; path: string; needs: string }> = [
    { role: 'student', token: student, path: '/instructors/me/bookings', needs: 'instructor' },
    { role: 'student', token: student, path: '/admin/users', needs: 'admin' },
    { role: 'instructor', token: instructor, path: '/admin/users', needs: 'admin' },
  ];
  for (const route of context.routes.routes.filter(
    (r) => r.method === 'GET' && (r.auth === 'admin' || r.auth === 'instructor'),
  )) {
    if (!route.path.includes('{') && !cases.some((c) => c.path === route.path)) {
      cases.push({ role: 'student', token: student, path: route.path, needs: route.auth });
    }
  }
  for (const item of cases) {
    if (!item.token) {
      notes.push(`${item.path} as ${item.role} not checked: no ${item.role} account`);
      continue;
    }
    const response = await context.http.send({ method: 'GET', path: item.path, token: item.token });
    if (is2xx(response)) {
      findings.push(
        createFinding('AUTHZ-FUNCTION-LEVEL', {
          method: 'GET',
          path: response.path,
          key: item.role,
          detail: `A ${item.role} token got HTTP ${response.status} from a ${item.needs}-only route`,
          evidence: formatEvidence(response, { bodyChars: 240 }),
          confidence: 'certain',
        }),
      );
    }
  }
  return findings;
}

interface Me {
  role?: string;
  roles?: string[];
  is_admin?: boolean;
}

async function checkProfileMassAssignment(
  context: ProbeContext,
  notes: string[],
  cleanups: Array<() => Promise<void>>,
): Promise<Finding[]> {
  const token = await context.session.login('studentB');
  if (!token) {
    notes.push('profile mass assignment not checked: no studentB account');
    return [];
  }
  const mePath = context.target.auth.mePath;
  const before = await context.http.send({ method: 'GET', path: mePath, token });
  if (!is2xx(before)) return [];
  const original = before.json<Me>();
  const patch = await context.http.send({
    method: 'PATCH',
    path: '/users/me',
    token,
    json: { role: 'admin', is_admin: true },
  });
  const after = await context.http.send({ method: 'GET', path: mePath, token });
  const now = is2xx(after) ? after.json<Me>() : {};
  const escalated =
    now.role !== original.role ||
    now.is_admin === true ||
    (now.roles ?? []).includes('admin') !== (original.roles ?? []).includes('admin');
  if (!escalated) return [];
  let restored = false;
  const restore = async () => {
    if (restored) return;
    const response = await context.http.send({
      method: 'PATCH',
      path: '/users/me',
      token,
      json: { role: original.role ?? 'student', is_admin: false },
    });
    restored = is2xx(response);
  };
  cleanups.push(restore);
  await restore();
  return [
    createFinding('AUTHZ-MASS-ASSIGNMENT', {
      method: 'PATCH',
      path: patch.path,
      key: 'role',
      detail: `PATCH /users/me with {role: "admin", is_admin: true} changed the role from ${original.role} to ${now.role} (restored afterwards)`,
      evidence: formatEvidence(patch, { bodyChars: 300 }),
      confidence: 'certain',
    }),
  ];
}

async function checkBookings(
  context: ProbeContext,
  notes: string[],
  cleanups: Array<() => Promise<void>>,
): Promise<Finding[]> {
  const ownerToken = await context.session.login('studentA');
  const otherToken = await context.session.login('studentB');
  if (!ownerToken || !otherToken) {
    notes.push('BOLA not checked: needs studentA and studentB accounts');
    return [];
  }
  const plans = await findBookableSlots(context, 6);
  if (plans.length === 0) {
    notes.push('BOLA not checked: no instructor with a free slot in the next 14 days');
    return [];
  }
  const findings: Finding[] = [];
  const created = await createBooking(context, ownerToken, plans, {});
  if (!created) {
    notes.push('BOLA not checked: could not create a booking for studentA');
    return findings;
  }
  let cancelled = false;
  cleanups.push(async () => {
    if (!cancelled)
      await context.http.send({
        method: 'POST',
        path: `/bookings/${created.id}/cancel`,
        token: ownerToken,
        json: {},
      });
  });
  const read = await context.http.send({ method: 'GET', path: `/bookings/${created.id}`, token: otherToken });
  if (is2xx(read) && read.text.includes(created.id)) {
    findings.push(
      createFinding('AUTHZ-BOLA', {
        method: 'GET',
        path: `${getApiPrefix(context)}/bookings/{id}`,
        key: 'read',
        detail: "Student B read student A's booking by id",
        evidence: formatEvidence(read, { bodyChars: 300 }),
        confidence: 'certain',
      }),
    );
  }
  const cancel = await context.http.send({
    method: 'POST',
    path: `/bookings/${created.id}/cancel`,
    token: otherToken,
    json: {},
  });
  if (is2xx(cancel)) {
    cancelled = true;
    findings.push(
      createFinding('AUTHZ-BOLA', {
        method: 'POST',
        path: `${getApiPrefix(context)}/bookings/{id}/cancel`,
        key: 'cancel',
        detail: "Student B cancelled student A's booking (it was the scanner's own test booking)",
        evidence: formatEvidence(cancel, { bodyChars: 300 }),
        confidence: 'certain',
      }),
    );
  }
  const remaining = plans.filter((p) => p !== created.plan);
  const forged = await createBooking(context, ownerToken, remaining, { status: 'CONFIRMED', hourly_rate: 1 });
  if (forged) {
    const body = forged.body as { status?: string; hourly_rate?: number };
    let forgedCancelled = false;
    cleanups.push(async () => {
      if (!forgedCancelled)
        await context.http.send({
          method: 'POST',
          path: `/bookings/${forged.id}/cancel`,
          token: ownerToken,
          json: {},
        });
    });
    const assigned = [
      body.status === 'CONFIRMED' ? 'status' : '',
      body.hourly_rate === 1 ? 'hourly_rate' : '',
    ].filter(Boolean);
    if (assigned.length > 0) {
      findings.push(
        createFinding('AUTHZ-MASS-ASSIGNMENT', {
          method: 'POST',
          path: `${getApiPrefix(context)}/bookings`,
          key: 'booking',
          detail: `POST /bookings stored client-sent ${assigned.join(' and ')} (booking cancelled afterwards)`,
          evidence: formatEvidence(forged.response, { bodyChars: 400 }),
          confidence: 'certain',
        }),
      );
    }
    const cleanup = await context.http.send({
      method: 'POST',
      path: `/bookings/${forged.id}/cancel`,
      token: ownerToken,
      json: {},
    });
    forgedCancelled = is2xx(cleanup);
  }
  return findings;
}

interface CreatedBooking {
  id: string;
  plan: BookingPlan;
  body: unknown;
  response: ProbeResponse;
}

async function createBooking(
  context: ProbeContext,
  token: string,
  plans: BookingPlan[],
  extra: Record<string, unknown>,
): Promise<CreatedBooking | undefined> {
  for (const plan of plans.slice(0, 3)) {
    const response = await context.http.send({
      method: 'POST',
      path: '/bookings',
      token,
      json: { ...plan, ...extra },
    });
    if (response.status === 201 || response.status === 200) {
      const body = response.json<{ id?: string }>();
      if (body.id) return { id: body.id, plan, body, response };
    }
  }
  return undefined;
}

interface InstructorList {
  items?: Array<{
    id: string;
    services?: Array<{ id: string; duration_options?: number[]; format_prices?: Array<{ format: string }> }>;
  }>;
}
interface Availability {
  availability_by_date?: Record<
    string,
    { available_slots?: Array<{ start_time: string; end_time: string }> }
  >;
}

const toMinutes = (time: string) => {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
const toTime = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Free slots far enough apart that two test bookings never collide, picked at random so repeated scans spread out. */
async function findBookableSlots(context: ProbeContext, wanted: number): Promise<BookingPlan[]> {
  const list = await context.http.send({ method: 'GET', path: '/instructors', query: { per_page: 20 } });
  if (!is2xx(list)) return [];
  const instructors = (list.json<InstructorList>().items ?? []).filter((i) => (i.services ?? []).length > 0);
  shuffle(instructors);
  const start = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const end = new Date(Date.now() + 15 * 86_400_000).toISOString().slice(0, 10);
  const plans: BookingPlan[] = [];
  for (const instructor of instructors.slice(0, 3)) {
    const service = instructor.services![0]!;
    const duration = Math.min(...(service.duration_options?.length ? service.duration_options : [60]));
    const availability = await context.http.send({
      method: 'GET',
      path: `/public/instructors/${instructor.id}/availability`,
      query: { start_date: start, end_date: end },
    });
    if (!is2xx(availability)) continue;
    const days = Object.entries(availability.json<Availability>().availability_by_date ?? {});
    shuffle(days);
    for (const [date, day] of days) {
      const slot = (day.available_slots ?? []).find(
        (s) => toMinutes(s.end_time) - toMinutes(s.start_time) >= duration,
      );
      if (!slot) continue;
      plans.push({
        instructor_id: instructor.id,
        instructor_service_id: service.id,
        booking_date: date,
        start_time: toTime(toMinutes(slot.start_time)),
        selected_duration: duration,
        location_type: service.format_prices?.[0]?.format ?? 'online',
        timezone: 'America/New_York',
      });
      if (plans.length >= wanted) return plans;
    }
  }
  return plans;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
