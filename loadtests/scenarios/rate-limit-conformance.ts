// rate-limit-conformance: for each configured limit (global per IP, login per IP, login per email, bookings per
// user) drive traffic above it and measure: allowed per window vs configured (within RL_TOLERANCE), a burst of
// simultaneous requests does not get past it, the 429's Retry-After is honoured, X-RateLimit-Remaining of that
// bucket decreases, and rotating the client-IP headers does not raise an IP limit.
// Only the limiter is measured: setup logins send the bypass header, and each bucket is read from its own headers
// (X-RateLimit-Limit names the bucket). Every request of one machine shares the per-IP buckets, so the run keeps a
// ledger of what each bucket already counted and lays the limits out over windows: phase 1 bursts, then (after
// each burst's Retry-After) phase 2 counts one request at a time; the login-per-IP limit, whose bucket the
// per-email test also fills, runs one phase later. About two windows in all (2-3 min on 60 s windows).
import { check, sleep } from 'k6';
import http, { type RefinedResponse } from 'k6/http';
import { Rate } from 'k6/metrics';
import { platform, routePath } from './lib/platform.js';
import {
  attributeRefusal,
  type Bucket,
  burstSize,
  countedBuckets,
  HitLedger,
  type LimitName,
  toleranceOf,
} from './lib/rate-limit-ledger.js';
import {
  type Account,
  apiBase,
  buildHeaders,
  logIn,
  readNumber,
  readString,
  readTestStudents,
} from './lib/target.js';

const allLimits: LimitName[] = ['global', 'login_ip', 'login_email', 'bookings'];
const configured: Record<LimitName, number> = {
  global: readNumber('RL_GLOBAL', 150),
  login_ip: readNumber('RL_LOGIN_IP', 20),
  login_email: readNumber('RL_LOGIN_EMAIL', 5),
  bookings: readNumber('RL_BOOKINGS', 20),
};
const windowMs = readNumber('RL_WINDOW_S', 60) * 1000;
const toleranceShare = readNumber('RL_TOLERANCE', 0.1);
const selectedList = readString('RL_LIMITS', allLimits.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as LimitName[];
for (const name of selectedList)
  if (!allLimits.includes(name))
    throw new Error(`RL_LIMITS: unknown limit \`${name}\`, expected ${allLimits.join(', ')}`);
const selected = new Set(selectedList);

const conforms = new Rate('ratelimit_conformance');

export const options = {
  setupTimeout: '60s',
  scenarios: {
    conformance: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: 1,
      maxDuration: readString('MAX_DURATION', '10m'),
    },
  },
  thresholds: Object.fromEntries([
    ['ratelimit_conformance', ['rate==1']],
    ...selectedList.map((name) => [`ratelimit_conformance{limit:${name}}`, ['rate==1']]),
  ]),
};

const names = platform.rateLimit;
const bypassConfigured = Boolean(__ENV.BYPASS_HEADER && __ENV.BYPASS_TOKEN);
const ledger = new HitLedger();
const runTag = Date.now().toString(36);
let unknownCounter = 0;

interface Probe {
  name: LimitName;
  /** The buckets the request counts in, in the order the platform checks them. */
  buckets: Bucket[];
  send(spoof: boolean, phase: string): Promise<RefinedResponse>;
}

interface Answer {
  status: number;
  limitHeader: number | undefined;
  remaining: number | undefined;
  retryAfter: number | undefined;
  /** The bucket that answered 429, undefined when allowed. */
  refusedBy: Bucket | undefined;
  atMs: number;
}

const tolerance = (name: LimitName) => toleranceOf(configured[name], toleranceShare);
const ownBucket = (probe: Probe) => probe.buckets.find((b) => b.limit === probe.name) as Bucket;

function randomIp(): string {
  const octet = () => 1 + Math.floor(Math.random() * 253);
  return `${octet()}.${octet()}.${octet()}.${octet()}`;
}

function spoofHeaders(): Record<string, string> {
  return Object.fromEntries(names.clientIpHeaders.map((name) => [name, randomIp()]));
}

function readHeader(r: RefinedResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function readNumberHeader(r: RefinedResponse, name: string): number | undefined {
  const raw = readHeader(r, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function requestParams(probe: LimitName, spoof: boolean, phase: string, extra: Record<string, string> = {}) {
  return {
    headers: { ...buildHeaders({ limited: true }), ...(spoof ? spoofHeaders() : {}), ...extra },
    tags: { name: `ratelimit-${probe}`, limit: probe, phase },
    responseCallback: http.expectedStatuses({ min: 200, max: 499 }),
  };
}

function loginForm(email: string, password: string): Record<string, string> {
  return { [platform.auth.usernameField]: email, [platform.auth.passwordField]: password };
}

function createGlobalProbe(): Probe {
  return {
    name: 'global',
    buckets: [{ limit: 'global' }],
    send: (spoof, phase) =>
      http.asyncRequest('GET', `${apiBase}${routePath('me')}`, null, requestParams('global', spoof, phase)),
  };
}

function createLoginIpProbe(): Probe {
  // a new unknown address each time, so only the per-IP window fills (never a real account's failures)
  return {
    name: 'login_ip',
    buckets: [{ limit: 'global' }, { limit: 'login_ip' }],
    send: (spoof, phase) =>
      http.asyncRequest(
        'POST',
        `${apiBase}${routePath('login')}`,
        loginForm(`preflight-rl-${runTag}-${unknownCounter++}@example.invalid`, 'not-a-password'),
        requestParams('login_ip', spoof, phase),
      ),
  };
}

function createLoginEmailProbe(account: Account): Probe {
  // a real test account with its real password: no failures, so no lockout muddles the window
  return {
    name: 'login_email',
    buckets: [{ limit: 'global' }, { limit: 'login_ip' }, { limit: 'login_email', key: account.email }],
    send: (spoof, phase) =>
      http.asyncRequest(
        'POST',
        `${apiBase}${routePath('login')}`,
        loginForm(account.email, account.password),
        requestParams('login_email', spoof, phase),
      ),
  };
}

function createBookingsProbe(account: Account, token: string): Probe {
  // an empty body: the limiter counts it before validation answers 422, so no booking is ever made
  return {
    name: 'bookings',
    buckets: [{ limit: 'global' }, { limit: 'bookings', key: account.email }],
    send: (spoof, phase) =>
      http.asyncRequest(
        'POST',
        `${apiBase}${routePath('createBooking')}`,
        '{}',
        requestParams('bookings', spoof, phase, {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
        }),
      ),
  };
}

/** Sends one probe request and books what it counted in. */
async function fire(probe: Probe, phase: string, spoof = false): Promise<Answer> {
  const r = await probe.send(spoof, phase);
  const atMs = Date.now();
  const limitHeader = readNumberHeader(r, names.limitHeader);
  const refusedBy =
    r.status === 429 ? attributeRefusal(probe.buckets, limitHeader, configured, probe.name) : undefined;
  // an allowed spoofed request counted under another address; a refused one under ours
  if (!spoof || refusedBy) ledger.record(countedBuckets(probe.buckets, refusedBy), atMs);
  if (r.status === 429) refusalsSinceGap++;
  return {
    status: r.status,
    limitHeader,
    remaining: readNumberHeader(r, names.remainingHeader),
    retryAfter: readNumberHeader(r, names.retryAfterHeader),
    refusedBy,
    atMs,
  };
}

function record(limit: LimitName, property: string, ok: boolean, detail: string): void {
  conforms.add(ok, { limit, property });
  check(null, { [`${limit}: ${property}`]: () => ok }, { limit });
  console.log(`rate-limit ${limit} ${property}: ${ok ? 'ok' : 'FAIL'} (${detail})`);
}

/** " (refused by the login_ip bucket, X-RateLimit-Limit 20: this limit could not be measured alone)" or "". */
function describeForeign(answers: Answer[], probe: Probe): { foreign: boolean; note: string } {
  const foreign = answers.find((a) => a.refusedBy && a.refusedBy.limit !== probe.name);
  if (!foreign) return { foreign: false, note: '' };
  return {
    foreign: true,
    note: `; refused by the ${foreign.refusedBy?.limit} bucket (${names.limitHeader} ${foreign.limitHeader}): this limit could not be measured alone`,
  };
}

const earlierHits = (n: number) => (n > 0 ? ` + ${n} earlier hit${n === 1 ? '' : 's'} of this run` : '');

interface PendingRetry {
  probe: Probe;
  retryAfter: number;
  deadlineMs: number;
}

let pendingRetries: PendingRetry[] = [];
let refusalsSinceGap = 0;

/** Phase 1 of a limit: everything at once; the window must let through exactly the limit. */
async function measureBurst(probe: Probe): Promise<void> {
  const limit = configured[probe.name];
  const tol = tolerance(probe.name);
  const others = ledger.countSince(ownBucket(probe), Date.now() - windowMs);
  const size = burstSize(limit);
  console.log(`rate-limit ${probe.name}: ${size} simultaneous requests`);
  const answers = await Promise.all(Array.from({ length: size }, () => fire(probe, 'concurrent')));
  const allowed = answers.filter((a) => !a.refusedBy).length;
  const { foreign, note } = describeForeign(answers, probe);
  record(
    probe.name,
    'holds under concurrency',
    !foreign && Math.abs(allowed + others - limit) <= tol,
    `${allowed} of ${size} simultaneous requests allowed${earlierHits(others)}, configured ${limit} +-${tol}${note}`,
  );
  const refusals = answers.filter((a) => a.refusedBy?.limit === probe.name).sort((a, b) => a.atMs - b.atMs);
  const last = refusals.at(-1);
  if (!last) return;
  const retryAfter = last.retryAfter;
  if (retryAfter === undefined || retryAfter < 0 || retryAfter * 1000 > windowMs + 1000) {
    record(
      probe.name,
      'retry-after honoured',
      false,
      `429 without a usable ${names.retryAfterHeader} (${retryAfter ?? 'missing'})`,
    );
    return;
  }
  pendingRetries.push({ probe, retryAfter, deadlineMs: last.atMs + retryAfter * 1000 + 300 });
}

/** Phase 2 of a limit: one request at a time until its bucket refuses; its Remaining must decrease on the way. */
async function measureSequence(probe: Probe): Promise<boolean> {
  const limit = configured[probe.name];
  const tol = tolerance(probe.name);
  const others = ledger.countSince(ownBucket(probe), Date.now() - windowMs);
  const cap = limit * 2 + 10;
  console.log(`rate-limit ${probe.name}: one request at a time until a 429 (at most ${cap})`);
  const answers: Answer[] = [];
  let refusal: Answer | undefined;
  while (answers.length < cap && !refusal) {
    const answer = await fire(probe, 'sequential');
    answers.push(answer);
    if (answer.refusedBy) refusal = answer;
  }
  const allowed = answers.filter((a) => !a.refusedBy).length;
  const { foreign, note } = describeForeign(answers, probe);
  record(
    probe.name,
    'allowance',
    refusal !== undefined && !foreign && Math.abs(allowed + others - limit) <= tol,
    refusal
      ? `${allowed} allowed${earlierHits(others)} before the first 429, configured ${limit} +-${tol}${note}`
      : `no 429 after ${allowed} requests, configured ${limit}`,
  );
  // only answers carrying this bucket's headers say anything about it (the global bucket's say nothing)
  const remaining = answers
    .filter((a) => !a.refusedBy && a.limitHeader === limit && a.remaining !== undefined)
    .map((a) => a.remaining as number);
  if (remaining.length >= 2) {
    const monotonic =
      remaining.every((v, i) => i === 0 || v <= (remaining[i - 1] as number)) &&
      (remaining.at(-1) as number) < (remaining[0] as number);
    record(
      probe.name,
      'remaining decreases',
      monotonic,
      `${names.remainingHeader} ${remaining[0]} -> ${remaining.at(-1)} over ${remaining.length} answers with ${names.limitHeader} ${limit}`,
    );
  } else {
    const shown = [
      ...new Set(
        answers.filter((a) => !a.refusedBy && a.limitHeader !== undefined).map((a) => a.limitHeader),
      ),
    ];
    const carried = shown.length
      ? `${names.limitHeader} ${shown.join('/')} (another bucket's)`
      : 'no rate-limit headers';
    console.log(
      `rate-limit ${probe.name} remaining decreases: not checked (allowed answers carry ${carried}, not this bucket's ${limit})`,
    );
  }
  return refusal?.refusedBy?.limit === probe.name;
}

/** With the IP's window full, rotating client-IP headers must not get requests through. */
async function checkSpoofing(probe: Probe): Promise<void> {
  const tol = tolerance(probe.name);
  const count = Math.max(10, 2 * tol + 5);
  let allowed = 0;
  for (let sent = 0; sent < count; sent += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - sent) }, () => fire(probe, 'spoof', true)),
    );
    allowed += batch.filter((a) => a.status !== 429).length;
  }
  record(
    probe.name,
    'spoofed IPs do not raise the allowance',
    allowed <= tol,
    `${allowed} of ${count} requests with rotating ${names.clientIpHeaders.join('/')} allowed while this address's window is full (at most ${tol})`,
  );
}

/** When every bucket a probe shares with other tests (not its own) has room again, by the ledger. */
function whenOtherBucketsHaveRoom(probe: Probe): number {
  const now = Date.now();
  const own = ownBucket(probe);
  let ready = now;
  for (const bucket of probe.buckets)
    if (bucket !== own)
      ready = Math.max(ready, ledger.roomAtMs(bucket, configured[bucket.limit], windowMs, now) + 300);
  return ready;
}

/**
 * Between phases: each burst's retry probe at its Retry-After, then (when something was refused) until every
 * window of the phase has emptied, so the next phase counts from zero plus the retry probes the ledger knows.
 */
async function waitForNextPhase(phase: number): Promise<void> {
  const lastHit = ledger.lastHitMs();
  const hadRefusals = refusalsSinceGap > 0;
  const retries = pendingRetries.map((retry) => ({
    ...retry,
    readyMs: whenOtherBucketsHaveRoom(retry.probe),
  }));
  pendingRetries = [];
  retries.sort((a, b) => Math.max(a.deadlineMs, a.readyMs) - Math.max(b.deadlineMs, b.readyMs));
  for (const retry of retries) {
    const waitMs = Math.max(retry.deadlineMs, retry.readyMs) - Date.now();
    if (waitMs > 0) {
      const busy = retry.readyMs > retry.deadlineMs ? ', then for room in the buckets it shares' : '';
      console.log(
        `rate-limit: waiting ${Math.ceil(waitMs / 1000)} s for the ${retry.probe.name} window to reset (Retry-After ${retry.retryAfter} s${busy})`,
      );
      await sleep(waitMs / 1000);
    }
    const waited = Math.round((Date.now() - (retry.deadlineMs - 300 - retry.retryAfter * 1000)) / 1000);
    const answer = await fire(retry.probe, 'retry');
    record(
      retry.probe.name,
      'retry-after honoured',
      !answer.refusedBy,
      `${names.retryAfterHeader} ${retry.retryAfter} s, waited ${waited} s, then ${answer.status}${answer.refusedBy ? ` from the ${answer.refusedBy.limit} bucket` : ''}`,
    );
  }
  refusalsSinceGap = 0;
  if (!hadRefusals || lastHit === undefined) return;
  const waitMs = lastHit + windowMs + 500 - Date.now();
  if (waitMs > 0) {
    console.log(
      `rate-limit: waiting ${Math.ceil(waitMs / 1000)} s for every window of phase ${phase - 1} to empty before phase ${phase}`,
    );
    await sleep(waitMs / 1000);
  }
}

function recordUntestable(name: LimitName, detail: string): void {
  for (const property of ['allowance', 'holds under concurrency', 'retry-after honoured'])
    record(name, property, false, detail);
}

export default async function () {
  const students = readTestStudents();
  const started = Date.now();
  const global = selected.has('global') ? createGlobalProbe() : undefined;
  const loginIp = selected.has('login_ip') ? createLoginIpProbe() : undefined;
  // two students give the burst and the count separate buckets, so both run in phase 1
  const [first, second] = students;
  let emailBurst: Probe | undefined;
  let emailCount: Probe | undefined;
  if (selected.has('login_email')) {
    if (first) {
      emailBurst = createLoginEmailProbe(first);
      emailCount = createLoginEmailProbe(second ?? first);
    } else recordUntestable('login_email', 'no test students configured');
  }
  let bookingsBurst: Probe | undefined;
  let bookingsCount: Probe | undefined;
  if (selected.has('bookings')) {
    const tokens: Array<{ account: Account; token: string }> = [];
    for (const account of [first, second]) {
      if (!account) continue;
      // setup logins send the bypass header: they must not spend the budget under test
      const token = await logIn(account);
      if (!bypassConfigured)
        ledger.record(
          [{ limit: 'global' }, { limit: 'login_ip' }, { limit: 'login_email', key: account.email }],
          Date.now(),
        );
      if (token) tokens.push({ account, token });
    }
    const [a, b] = tokens;
    if (a) {
      bookingsBurst = createBookingsProbe(a.account, a.token);
      bookingsCount = b ? createBookingsProbe(b.account, b.token) : bookingsBurst;
    } else recordUntestable('bookings', 'no test student could log in');
  }
  // with a second identity the one-at-a-time count needs no fresh window: it runs in phase 1 beside the burst
  const countInPhaseOne = (burst: Probe | undefined, count: Probe | undefined) => burst !== count;
  // the per-email test fills the login-per-IP bucket in phase 1: the per-IP limit then starts in phase 2
  const loginIpPhase = emailBurst ? 2 : 1;

  console.log('rate-limit: phase 1 (bursts)');
  await Promise.all([
    (async () => {
      if (!emailBurst) return;
      await measureBurst(emailBurst);
      if (countInPhaseOne(emailBurst, emailCount)) await measureSequence(emailCount as Probe);
    })(),
    (async () => {
      if (!bookingsBurst) return;
      await measureBurst(bookingsBurst);
      if (countInPhaseOne(bookingsBurst, bookingsCount)) await measureSequence(bookingsCount as Probe);
    })(),
  ]);
  if (loginIp && loginIpPhase === 1) await measureBurst(loginIp);
  // the global bucket last: everything before counted in it too, and the ledger knows how much
  if (global) await measureBurst(global);

  await waitForNextPhase(2);
  console.log('rate-limit: phase 2 (one request at a time)');
  await Promise.all([
    (async () => {
      if (bookingsBurst && !countInPhaseOne(bookingsBurst, bookingsCount))
        await measureSequence(bookingsCount as Probe);
    })(),
    (async () => {
      if (emailBurst && !countInPhaseOne(emailBurst, emailCount)) await measureSequence(emailCount as Probe);
      if (!loginIp) return;
      if (loginIpPhase === 1) {
        await measureSequence(loginIp);
        await checkSpoofing(loginIp);
      } else await measureBurst(loginIp);
    })(),
  ]);
  if (global) {
    await measureSequence(global);
    await checkSpoofing(global);
  }

  if (loginIp && loginIpPhase === 2) {
    await waitForNextPhase(3);
    console.log('rate-limit: phase 3 (login per IP, one request at a time)');
    await measureSequence(loginIp);
    await checkSpoofing(loginIp);
  }
  console.log(`rate-limit: done in ${Math.round((Date.now() - started) / 1000)} s`);
}
