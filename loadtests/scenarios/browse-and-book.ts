// browse-and-book: login -> search -> instructor availability -> check-availability -> book a free slot -> cancel,
// with think time between steps. Only the configured test students book; every booking is cancelled in the same
// iteration, and preflight (which records each created id) cancels and checks again after the run.
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { readBestMatches } from '../../src/core/platform/discovery.js';
import { cancelBooking, readBookingId, recordBooking } from './lib/bookings.js';
import { platform, routePath } from './lib/platform.js';
import { thinkTime } from './lib/profile.js';
import { pickTier, readWeights, search } from './lib/search.js';
import { buildBookingBody, listFreeStarts, pickRandom, type Slot, searchBookable } from './lib/slots.js';
import { apiBase, buildHeaders, logIn, readJson, readNumber, readTestStudents } from './lib/target.js';

const p95 = readNumber('SLO_P95_MS', 500);
const think = readNumber('THINK_TIME', 2);
const weights = readWeights(__ENV.SEARCH_WEIGHTS);
const booked = new Counter('bookings_created');
const conflicts = new Counter('booking_conflicts');
const cancelled = new Counter('bookings_cancelled');

export const options = {
  scenarios: {
    browse_and_book: {
      executor: 'per-vu-iterations',
      vus: readNumber('VUS', 2),
      iterations: readNumber('ITERATIONS', 3),
      maxDuration: __ENV.MAX_DURATION ?? '5m',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{name:search}': [`p(95)<${p95}`],
    'http_req_duration{name:book}': [`p(95)<${p95 * 2}`],
    bookings_created: ['count>0'],
  },
};

export async function setup() {
  const students = readTestStudents();
  if (students.length === 0)
    exec.test.abort(
      'not run: browse-and-book needs test students: set accounts.studentA/studentB (email + passwordEnv) in the target config, or LOAD_STUDENT_EMAILS + LOAD_STUDENT_PASSWORD',
    );
  return { students };
}

let token: string | undefined;

export default async function (data: { students: Array<{ email: string; password: string }> }) {
  const student = data.students[(__VU - 1) % data.students.length];
  if (!student) return;
  booked.add(0);
  token ??= await logIn(student);
  if (!check(token, { 'login returns a token': (t) => typeof t === 'string' && t.length > 0 })) return;
  await sleep(thinkTime(think));

  const found = await search(pickTier(weights));
  await sleep(thinkTime(think));
  // a query with no results (a misspelling, say) still browses on: the user searches a common service instead
  const choice =
    pickRandom(readBestMatches(platform, found)) ??
    pickRandom(await searchBookable(pickRandom(platform.discoveryQueries) ?? 'piano'));
  if (!choice) return;

  const start = pickRandom(await listFreeStarts(choice.instructorId, { fromDay: 3, days: 14 }));
  if (!start) return;
  const slot: Slot = {
    instructorId: choice.instructorId,
    serviceId: choice.serviceId,
    date: start.date,
    startTime: start.startTime,
    durationMinutes: platform.booking.durationMinutes,
  };
  await sleep(thinkTime(think));

  const headers = { ...buildHeaders({ token }), 'Content-Type': 'application/json' };
  const body = buildBookingBody(slot);
  const availability = await http.asyncRequest(
    platform.routes.checkAvailability.method,
    `${apiBase}${routePath('checkAvailability')}`,
    body,
    { headers, tags: { name: 'check-availability' } },
  );
  check(availability, { 'check-availability is 200': (r) => r.status === 200 });
  if (readJson<Record<string, unknown>>(availability)?.[platform.booking.availableField] !== true) return;

  // another VU may take the slot first: 409 is an expected answer, not a failure
  const b = platform.booking;
  const booking = await http.asyncRequest(
    platform.routes.createBooking.method,
    `${apiBase}${routePath('createBooking')}`,
    body,
    {
      headers,
      tags: { name: 'book' },
      responseCallback: http.expectedStatuses(b.createdStatus, b.conflictStatus),
    },
  );
  check(booking, {
    'booking is 201 or 409 BOOKING_CONFLICT': (r) =>
      r.status === b.createdStatus || r.status === b.conflictStatus,
  });
  if (booking.status === b.conflictStatus) {
    conflicts.add(1);
    return;
  }
  const id = readBookingId(booking);
  if (!id) return;
  await recordBooking(id, student.email);
  booked.add(1);
  await sleep(thinkTime(think));
  if (check(await cancelBooking(id, token as string), { 'cancel is 200 and CANCELLED': (ok) => ok }))
    cancelled.add(1);
}
