// booking-race: N test students (RACE_STUDENTS, default 50) book the same instructor slot at the same instant.
// setup() logs everyone in, finds a free slot through the spec's routes (or platform.slot) and a start time; each
// VU waits for that instant, then books. Verdict: exactly one 201, every other answer 409 BOOKING_CONFLICT, no 5xx.
// preflight then checks the database (no two active bookings of one instructor overlap, PENDING included) and
// cancels every booking the run created, by id. No slot found: the run is aborted as "not run" with the reason.
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { cancelBooking, cleanupDeferred, readBookingId, recordBooking } from './lib/bookings.js';
import { platform, routePath } from './lib/platform.js';
import { buildBookingBody, findBookableSlot, type Slot } from './lib/slots.js';
import {
  type Account,
  apiBase,
  buildHeaders,
  logIn,
  readJson,
  readNumber,
  readTestStudents,
} from './lib/target.js';

const racers = readNumber('RACE_STUDENTS', 50);
const barrierMs = readNumber('RACE_BARRIER_MS', 3000);

const successes = new Counter('race_success');
const conflicts = new Counter('race_conflict');
const serverErrors = new Counter('race_5xx');
const others = new Counter('race_other');
const lateness = new Trend('race_start_skew', true);

export const options = {
  setupTimeout: '120s',
  scenarios: {
    race: {
      executor: 'per-vu-iterations',
      vus: racers,
      iterations: 1,
      maxDuration: '2m',
    },
  },
  thresholds: {
    race_success: ['count==1'],
    race_conflict: [`count==${racers - 1}`],
    race_5xx: ['count==0'],
    race_other: ['count==0'],
  },
};

interface RaceData {
  students: Account[];
  tokens: string[];
  slot: Slot;
  startAt: number;
}

export async function setup(): Promise<RaceData> {
  const pool = readTestStudents();
  if (pool.length === 0)
    exec.test.abort(
      'not run: booking-race needs test students: set accounts.studentA/studentB (email + passwordEnv) in the target config, or LOAD_STUDENT_EMAILS + LOAD_STUDENT_PASSWORD',
    );
  const students = Array.from({ length: racers }, (_, i) => pool[i % pool.length] as Account);
  const unique = [...new Map(students.map((s) => [s.email, s])).values()];
  const tokenByEmail = new Map<string, string>();
  // log in ten at a time: the platform hashes passwords, which is slow on purpose
  for (let i = 0; i < unique.length; i += 10) {
    const batch = unique.slice(i, i + 10);
    const tokens = await Promise.all(batch.map((s) => logIn(s)));
    batch.forEach((s, j) => {
      const token = tokens[j];
      if (token) tokenByEmail.set(s.email, token);
    });
  }
  if (tokenByEmail.size !== unique.length)
    fail(`only ${tokenByEmail.size} of ${unique.length} test students could log in`);
  const found = await findBookableSlot({ fromDay: 3, days: 21 });
  if (!found.slot) exec.test.abort(`not run: ${found.reason}`);
  return {
    students,
    tokens: students.map((s) => tokenByEmail.get(s.email) as string),
    slot: found.slot as Slot,
    startAt: Date.now() + barrierMs,
  };
}

export default async function (data: RaceData) {
  const index = (__VU - 1) % data.tokens.length;
  const token = data.tokens[index];
  const wait = data.startAt - Date.now();
  if (wait > 0) await sleep(wait / 1000);
  lateness.add(Math.max(0, Date.now() - data.startAt));
  const b = platform.booking;
  const response = await http.asyncRequest(
    platform.routes.createBooking.method,
    `${apiBase}${routePath('createBooking')}`,
    buildBookingBody(data.slot),
    {
      headers: { ...buildHeaders({ token }), 'Content-Type': 'application/json' },
      tags: { name: 'race-book' },
      responseCallback: http.expectedStatuses(b.createdStatus, b.conflictStatus),
    },
  );
  const bookingId = readBookingId(response);
  if (bookingId) await recordBooking(bookingId, (data.students[index] as Account).email);
  const code = readJson<{ code?: string }>(response)?.code;
  const outcome =
    response.status === b.createdStatus
      ? 'success'
      : response.status === b.conflictStatus && code === b.conflictCode
        ? 'conflict'
        : response.status >= 500 || response.status === 0
          ? '5xx'
          : 'other';
  successes.add(outcome === 'success' ? 1 : 0);
  conflicts.add(outcome === 'conflict' ? 1 : 0);
  serverErrors.add(outcome === '5xx' ? 1 : 0);
  others.add(outcome === 'other' ? 1 : 0);
  check(response, {
    'answer is 201 or 409 BOOKING_CONFLICT': () => outcome === 'success' || outcome === 'conflict',
  });
  if (outcome === '5xx' || outcome === 'other')
    console.warn(`race: student ${index + 1} got ${response.status} ${code ?? ''}`);
  // a plain k6 run has no preflight to clean up after it: the winner cancels its own booking once all have raced
  if (bookingId && token && !cleanupDeferred) {
    await sleep(2);
    if (!(await cancelBooking(bookingId, token)))
      console.error(`race: booking ${bookingId} could not be cancelled`);
  }
}
