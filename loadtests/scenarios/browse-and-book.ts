// browse-and-book: login -> search -> instructor availability -> check-availability -> book a free slot -> cancel,
// with think time between steps. Only the configured test students book; every booking carries the run's marker
// (student_note) and is cancelled in the same iteration, in teardown, and by preflight after the run.
import { check, fail, sleep } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { thinkTime } from './lib/profile.js';
import { pickTier, readWeights, search } from './lib/search.js';
import {
  buildBookingBody,
  listBookableInstructors,
  listFreeStarts,
  pickRandom,
  type Slot,
} from './lib/slots.js';
import {
  apiBase,
  bookingMarker,
  buildHeaders,
  cleanupDeferred,
  logIn,
  readJson,
  readNumber,
  readTestStudents,
} from './lib/target.js';
import { cancelMarkedBookings } from './lib/teardown.js';

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
    fail(
      'browse-and-book needs test students: STUDENT_A_EMAIL/_PASSWORD (from the target config) or LOAD_STUDENT_EMAILS',
    );
  return { students, marker: bookingMarker };
}

let token: string | undefined;

export default async function (data: {
  students: Array<{ email: string; password: string }>;
  marker: string;
}) {
  const student = data.students[(__VU - 1) % data.students.length];
  if (!student) return;
  booked.add(0);
  token ??= await logIn(student);
  if (!check(token, { 'login returns a token': (t) => typeof t === 'string' && t.length > 0 })) return;
  await sleep(thinkTime(think));

  const found = await search(pickTier(weights));
  await sleep(thinkTime(think));
  const hit = pickRandom((found?.results ?? []).filter((r) => r.instructor_id && r.best_match?.service_id));
  // a query with no results (a misspelling, say) still browses on: the user opens the instructor listing instead
  const choice =
    hit?.instructor_id && hit.best_match?.service_id
      ? { instructorId: hit.instructor_id, serviceId: hit.best_match.service_id }
      : pickRandom(await listBookableInstructors(60));
  if (!choice) return;

  const start = pickRandom(await listFreeStarts(choice.instructorId, { fromDay: 3, days: 14 }));
  if (!start) return;
  const slot: Slot = { ...choice, date: start.date, startTime: start.startTime, durationMinutes: 60 };
  await sleep(thinkTime(think));

  const headers = { ...buildHeaders({ token }), 'Content-Type': 'application/json' };
  const body = buildBookingBody(slot, data.marker);
  const availability = await http.asyncRequest('POST', `${apiBase}/bookings/check-availability`, body, {
    headers,
    tags: { name: 'check-availability' },
  });
  check(availability, { 'check-availability is 200': (r) => r.status === 200 });
  if (readJson<{ available?: boolean }>(availability)?.available !== true) return;

  // another VU may take the slot first: 409 is an expected answer, not a failure
  const booking = await http.asyncRequest('POST', `${apiBase}/bookings`, body, {
    headers,
    tags: { name: 'book' },
    responseCallback: http.expectedStatuses(201, 409),
  });
  check(booking, { 'booking is 201 or 409 BOOKING_CONFLICT': (r) => r.status === 201 || r.status === 409 });
  if (booking.status === 409) {
    conflicts.add(1);
    return;
  }
  const id = readJson<{ id?: string }>(booking)?.id;
  if (!id) return;
  booked.add(1);
  await sleep(thinkTime(think));
  const cancel = await http.asyncRequest('POST', `${apiBase}/bookings/${id}/cancel`, null, {
    headers: buildHeaders({ token }),
    tags: { name: 'cancel' },
  });
  if (check(cancel, { 'cancel is 200': (r) => r.status === 200 })) cancelled.add(1);
}

export async function teardown(data: {
  students: Array<{ email: string; password: string }>;
  marker: string;
}) {
  if (!cleanupDeferred) await cancelMarkedBookings(data.students, data.marker);
}
