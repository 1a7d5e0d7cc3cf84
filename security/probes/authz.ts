/**
 * Authorization: object level (student B on student A's booking), function level (lower roles on instructor/admin
 * routes the catalog knows), mass assignment (role/is_admin on a profile route the catalog knows, status/price on a
 * booking). Slots are found only through the spec's routes (search best match + public availability, or
 * `platform.slot`); every booking a probe creates is cancelled through the profile's cancel route and read back: one
 * left active is an error of the scan. Changed profile fields are restored in `finally`.
 */
import { runCleanups } from '../../src/core/errors.js';
import { fillRoutePath } from '../../src/core/platform/defaults.js';
import {
  buildAvailabilityPath,
  buildBookingBody,
  buildSearchPath,
  describeNoSlot,
  readBestMatches,
  readConfiguredSlot,
  readFreeStarts,
  readPath,
  type Slot,
} from '../../src/core/platform/discovery.js';
import { redact } from '../../src/core/redact.js';
import { formatEvidence, truncate } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import { isTransientSocketError, type ProbeResponse } from '../http.js';
import { is2xx, isMissingRoute, type NotRun, type Probe, type ProbeContext } from '../probe.js';
import type { RouteSpec } from '../routes.js';

const getApiPrefix = (context: ProbeContext) => new URL(context.target.apiBase).pathname.replace(/\/+$/, '');

interface Outcome {
  findings: Finding[];
  notes: string[];
  notRun: NotRun[];
  errors: string[];
}

export const authzProbe: Probe = {
  name: 'authz',
  description:
    "BOLA on another student's booking, role routes with lower roles, mass assignment of protected fields",
  phase: 'main',
  async run(context) {
    const out: Outcome = { findings: [], notes: [], notRun: [], errors: [] };
    const cleanups: Array<() => Promise<void>> = [];
    try {
      out.findings.push(...(await checkFunctionLevel(context, out)));
      if (context.settings.readOnly) {
        const reason = 'read-only scan (it creates and cancels bookings, changes and restores a profile)';
        out.notRun.push({ check: 'BOLA', reason }, { check: 'mass assignment', reason });
        return out;
      }
      // bookings first: an escalated profile (restored right after its check) must never colour the BOLA result
      out.findings.push(...(await checkBookings(context, out)));
      out.findings.push(...(await checkProfileMassAssignment(context, out, cleanups)));
    } finally {
      await runCleanups(cleanups);
    }
    return out;
  },
};

async function checkFunctionLevel(context: ProbeContext, out: Outcome): Promise<Finding[]> {
  const check = 'function-level authorization';
  const roleRoutes = context.routes.routes.filter(
    (r) => r.method === 'GET' && (r.auth === 'admin' || r.auth === 'instructor') && !r.path.includes('{'),
  );
  if (roleRoutes.length === 0) {
    out.notRun.push({
      check,
      reason:
        'no instructor- or admin-only route is known (the spec lists none): name them in a --routes file with auth: instructor or admin',
    });
    return [];
  }
  const student = await context.session.login('studentA');
  const instructor = await context.session.login('instructor');
  const cases: Array<{ role: string; token: string | undefined; route: RouteSpec }> = [];
  for (const route of roleRoutes) {
    cases.push({ role: 'student', token: student, route });
    if (route.auth === 'admin') cases.push({ role: 'instructor', token: instructor, route });
  }
  const findings: Finding[] = [];
  for (const item of cases) {
    if (!item.token) {
      out.notRun.push({
        check: `${check}: ${item.route.path} as ${item.role}`,
        reason: `no ${item.role} account`,
      });
      continue;
    }
    const response = await context.http.send({ method: 'GET', path: item.route.path, token: item.token });
    if (is2xx(response)) {
      findings.push(
        createFinding('AUTHZ-FUNCTION-LEVEL', {
          method: 'GET',
          path: response.path,
          key: item.role,
          detail: `A ${item.role} token got HTTP ${response.status} from a ${item.route.auth}-only route`,
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

/** A profile-update route (PATCH .../me) from the OpenAPI document or --routes: the spec has none. */
function findProfileRoute(context: ProbeContext): RouteSpec | undefined {
  return context.routes.routes.find(
    (r) => r.method === 'PATCH' && /\/me$/.test(r.path) && !r.path.includes('{'),
  );
}

async function checkProfileMassAssignment(
  context: ProbeContext,
  out: Outcome,
  cleanups: Array<() => Promise<void>>,
): Promise<Finding[]> {
  const check = 'profile mass assignment';
  const route = findProfileRoute(context);
  if (!route) {
    out.notRun.push({
      check,
      reason:
        'no profile-update route is known (the spec lists none): name it in a --routes file (method PATCH, a path ending in /me)',
    });
    return [];
  }
  const token = await context.session.login('studentB');
  if (!token) {
    out.notRun.push({ check, reason: 'no studentB account' });
    return [];
  }
  const mePath = context.target.auth.mePath;
  const before = await context.http.send({ method: 'GET', path: mePath, token });
  if (!is2xx(before)) {
    out.notRun.push({
      check,
      reason: `GET ${mePath} answered HTTP ${before.status}: no profile to compare with`,
    });
    return [];
  }
  const original = before.json<Me>();
  const patch = await context.http.send({
    method: 'PATCH',
    path: route.path,
    token,
    json: { role: 'admin', is_admin: true },
  });
  if (isMissingRoute(patch)) {
    out.notRun.push({
      check,
      reason: `PATCH ${route.path} answered HTTP ${patch.status}: the route does not exist there`,
    });
    return [];
  }
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
      path: route.path,
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
      detail: `PATCH ${route.path} with {role: "admin", is_admin: true} changed the role from ${original.role} to ${now.role}${now.is_admin === true ? ' and set is_admin' : ''} (restored afterwards)`,
      evidence: formatEvidence(patch, { bodyChars: 300 }),
      confidence: 'certain',
    }),
  ];
}

interface SlotSearch {
  slots: Slot[];
  /** Why no slot was found, when none was. */
  reason: string;
}

/**
 * Free slots through the spec's routes only: `platform.slot` when set, else the best match of each discovery search
 * and that instructor's public availability (2 to 15 days ahead). Picked at random so repeated scans spread out.
 */
export async function findBookableSlots(context: ProbeContext, wanted: number): Promise<SlotSearch> {
  const profile = context.target.platform;
  const configured = readConfiguredSlot(profile);
  if (configured) return { slots: [configured], reason: '' };
  const duration = profile.booking.durationMinutes;
  const seen = new Set<string>();
  const slots: Slot[] = [];
  let searched = 0;
  let matches = 0;
  let lastProblem = '';
  for (const query of profile.discoveryQueries) {
    const search = await context.http.send({
      method: profile.routes.search.method,
      path: buildSearchPath(profile, query, 10),
    });
    searched++;
    if (!is2xx(search)) {
      lastProblem = `${profile.routes.search.method} ${profile.routes.search.path} answered HTTP ${search.status}`;
      if (isMissingRoute(search)) break;
      continue;
    }
    const services = readBestMatches(profile, safeJson(search)).filter((s) => !seen.has(s.instructorId));
    matches += services.length;
    shuffle(services);
    for (const service of services.slice(0, 2)) {
      seen.add(service.instructorId);
      const availability = await context.http.send({
        method: profile.routes.availability.method,
        path: buildAvailabilityPath(profile, service.instructorId, 2, 14),
      });
      if (!is2xx(availability)) {
        lastProblem = `${profile.routes.availability.method} ${profile.routes.availability.path} answered HTTP ${availability.status}`;
        continue;
      }
      const starts = readFreeStarts(profile, safeJson(availability), duration);
      shuffle(starts);
      for (const start of starts.slice(0, wanted))
        slots.push({
          instructorId: service.instructorId,
          serviceId: service.serviceId,
          date: start.date,
          startTime: start.startTime,
          durationMinutes: duration,
        });
      if (slots.length >= wanted) return { slots: slots.slice(0, wanted), reason: '' };
    }
  }
  if (slots.length > 0) return { slots, reason: '' };
  const reason =
    matches === 0
      ? `no search of platform.discoveryQueries (${searched} tried) returned a best match with ${profile.search.instructorIdField} and ${profile.search.bestMatchField}.${profile.search.serviceIdField}${lastProblem ? ` (${lastProblem})` : ''}`
      : `the public availability of ${seen.size} instructor(s) found by search showed no free ${duration}-minute start in the next 2-15 days${lastProblem ? ` (${lastProblem})` : ''}`;
  return { slots: [], reason: describeNoSlot(reason) };
}

function safeJson(response: ProbeResponse): unknown {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

interface CreatedBooking {
  id: string;
  slot: Slot;
  body: unknown;
  response: ProbeResponse;
}

/** Books the first slot that takes a booking (a conflict moves on to the next); never resent after a socket error. */
async function createBooking(
  context: ProbeContext,
  token: string,
  slots: Slot[],
  extra: Record<string, unknown>,
  out: Outcome,
): Promise<{ created?: CreatedBooking; failure: string }> {
  const profile = context.target.platform;
  const route = profile.routes.createBooking;
  const unknownOutcome = (slot: Slot, what: string) => {
    out.errors.push(
      `${what}: a test booking may exist for ${slot.instructorId} on ${slot.date} at ${slot.startTime} that the scan cannot cancel (no id); check and cancel it by hand`,
    );
    return { failure: what };
  };
  let failure = 'no slot to book';
  for (const slot of slots.slice(0, 3)) {
    let response: ProbeResponse;
    try {
      response = await context.http.send({
        method: route.method,
        path: route.path,
        token,
        json: { ...buildBookingBody(profile, slot), ...extra },
        retry: false,
      });
    } catch (error) {
      // never resent: the server may have booked before the connection broke
      if (!isTransientSocketError(error)) throw error;
      return unknownOutcome(slot, `the connection broke during ${route.method} ${route.path}`);
    }
    if (response.status === 0) return unknownOutcome(slot, `${route.method} ${route.path} timed out`);
    if (is2xx(response)) {
      const body = safeJson(response);
      const id = readPath(body, profile.booking.idField);
      if (typeof id === 'string' && id !== '') return { created: { id, slot, body, response }, failure: '' };
      return unknownOutcome(
        slot,
        `${route.method} ${route.path} answered HTTP ${response.status} without ${profile.booking.idField}`,
      );
    }
    failure = `${route.method} ${route.path} answered HTTP ${response.status}${response.text ? `: ${redact(truncate(response.text.replace(/\s+/g, ' '), 160))}` : ''}`;
    if (response.status !== profile.booking.conflictStatus) break;
  }
  return { failure };
}

const bookingPath = (template: string, id: string) => fillRoutePath(template, { booking_id: id, id });

/** The booking's status as its owner reads it (undefined when the read fails). */
async function readBookingStatus(
  context: ProbeContext,
  token: string,
  id: string,
): Promise<string | undefined> {
  const route = context.target.platform.routes.getBooking;
  const response = await context.http.send({
    method: route.method,
    path: bookingPath(route.path, id),
    token,
  });
  if (!is2xx(response)) return undefined;
  const status = readPath(safeJson(response), context.target.platform.booking.statusField);
  return typeof status === 'string' ? status : undefined;
}

/**
 * Cancels a test booking through the profile's cancel route as its owner (unless already cancelled) and reads it back;
 * anything but the cancelled status is an error the scan reports.
 */
async function cancelAndVerify(
  context: ProbeContext,
  token: string,
  id: string,
  out: Outcome,
): Promise<void> {
  const profile = context.target.platform;
  const cancelled = profile.booking.cancelledStatus;
  let status = await readBookingStatus(context, token, id);
  if (status !== cancelled) {
    const route = profile.routes.cancelBooking;
    await context.http.send({ method: route.method, path: bookingPath(route.path, id), token, json: {} });
    status = await readBookingStatus(context, token, id);
  }
  if (status !== cancelled)
    out.errors.push(
      `test booking ${id} was not cancelled: ${profile.routes.getBooking.method} ${profile.routes.getBooking.path} shows ${status ?? 'no status'} instead of ${cancelled}; cancel it by hand`,
    );
}

async function checkBookings(context: ProbeContext, out: Outcome): Promise<Finding[]> {
  const profile = context.target.platform;
  const ownerToken = await context.session.login('studentA');
  const otherToken = await context.session.login('studentB');
  if (!ownerToken || !otherToken) {
    const reason = 'needs the studentA and studentB accounts';
    out.notRun.push({ check: 'BOLA', reason }, { check: 'booking mass assignment', reason });
    return [];
  }
  const { slots, reason } = await findBookableSlots(context, 4);
  if (slots.length === 0) {
    out.notRun.push(
      { check: 'BOLA', reason: `no bookable slot: ${reason}` },
      { check: 'booking mass assignment', reason: 'no bookable slot (see BOLA)' },
    );
    return [];
  }
  const findings: Finding[] = [];
  const prefix = getApiPrefix(context);
  const getRoute = profile.routes.getBooking;
  const cancelRoute = profile.routes.cancelBooking;
  const made = await createBooking(context, ownerToken, slots, {}, out);
  if (!made.created) {
    out.notRun.push(
      { check: 'BOLA', reason: `could not create a booking for studentA: ${made.failure}` },
      { check: 'booking mass assignment', reason: 'no booking could be created (see BOLA)' },
    );
    return findings;
  }
  const created = made.created;
  try {
    const own = await context.http.send({
      method: getRoute.method,
      path: bookingPath(getRoute.path, created.id),
      token: ownerToken,
    });
    if (!is2xx(own)) {
      out.notRun.push({
        check: 'BOLA read',
        reason: `the owner's own ${getRoute.method} ${getRoute.path} answered HTTP ${own.status}`,
      });
    } else {
      const read = await context.http.send({
        method: getRoute.method,
        path: bookingPath(getRoute.path, created.id),
        token: otherToken,
      });
      if (is2xx(read) && read.text.includes(created.id)) {
        findings.push(
          createFinding('AUTHZ-BOLA', {
            method: getRoute.method,
            path: `${prefix}${getRoute.path}`,
            key: 'read',
            detail: `Student B read student A's booking by id (HTTP ${read.status}, the body carries its id)`,
            evidence: formatEvidence(read, { bodyChars: 300 }),
            confidence: 'certain',
          }),
        );
      }
    }
    const cancel = await context.http.send({
      method: cancelRoute.method,
      path: bookingPath(cancelRoute.path, created.id),
      token: otherToken,
      json: {},
    });
    if (is2xx(cancel)) {
      const status = await readBookingStatus(context, ownerToken, created.id);
      findings.push(
        createFinding('AUTHZ-BOLA', {
          method: cancelRoute.method,
          path: `${prefix}${cancelRoute.path}`,
          key: 'cancel',
          detail: `Student B's cancel of student A's booking answered HTTP ${cancel.status}${status ? `; the owner now reads status ${status}` : ''} (the scanner's own test booking)`,
          evidence: formatEvidence(cancel, { bodyChars: 300 }),
          confidence: status === profile.booking.cancelledStatus ? 'certain' : 'firm',
        }),
      );
    }
  } finally {
    await cancelAndVerify(context, ownerToken, created.id, out);
  }

  // the first booking is cancelled: its slot may be reused
  const forgedStatus = profile.booking.activeStatuses.at(-1) ?? 'CONFIRMED';
  const forged = await createBooking(
    context,
    ownerToken,
    slots,
    { status: forgedStatus, hourly_rate: 1 },
    out,
  );
  if (!forged.created) {
    out.notes.push(`booking mass assignment: a booking with extra fields was refused (${forged.failure})`);
    return findings;
  }
  try {
    const body = forged.created.body as Record<string, unknown>;
    const assigned = [
      readPath(body, profile.booking.statusField) === forgedStatus
        ? `${profile.booking.statusField} ${forgedStatus}`
        : '',
      body.hourly_rate === 1 ? 'hourly_rate 1' : '',
    ].filter(Boolean);
    if (assigned.length > 0) {
      const route = profile.routes.createBooking;
      findings.push(
        createFinding('AUTHZ-MASS-ASSIGNMENT', {
          method: route.method,
          path: `${prefix}${route.path}`,
          key: 'booking',
          detail: `${route.method} ${route.path} stored the client-sent ${assigned.join(' and ')} (booking cancelled afterwards)`,
          evidence: formatEvidence(forged.created.response, { bodyChars: 400 }),
          confidence: 'certain',
        }),
      );
    }
  } finally {
    await cancelAndVerify(context, ownerToken, forged.created.id, out);
  }
  return findings;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
