// rate-limit-conformance: for each configured limit (global per IP, login per IP, login per email, bookings per
// user) drive traffic above it and measure: allowed per window vs configured (within RL_TOLERANCE), 429s carry a
// Retry-After that is honoured, X-RateLimit-Remaining decreases monotonically, the limit holds under concurrency,
// and rotating X-Forwarded-For / CF-Connecting-IP / X-Real-IP does not raise an IP limit. Never sends the bypass
// header: the limiter itself is under test. One VU, one iteration; fresh windows are awaited between phases.
import { check, sleep } from 'k6';
import http, { type RefinedResponse } from 'k6/http';
import { Rate } from 'k6/metrics';
import {
  type Account,
  apiBase,
  buildHeaders,
  logIn,
  readNumber,
  readString,
  readTestStudents,
} from './lib/target.js';

type LimitName = 'global' | 'login_ip' | 'login_email' | 'bookings';
const allLimits: LimitName[] = ['global', 'login_ip', 'login_email', 'bookings'];
const configured: Record<LimitName, number> = {
  global: readNumber('RL_GLOBAL', 150),
  login_ip: readNumber('RL_LOGIN_IP', 20),
  login_email: readNumber('RL_LOGIN_EMAIL', 5),
  bookings: readNumber('RL_BOOKINGS', 20),
};
const windowSeconds = readNumber('RL_WINDOW_S', 60);
const toleranceShare = readNumber('RL_TOLERANCE', 0.1);
const selected = readString('RL_LIMITS', allLimits.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as LimitName[];
for (const name of selected)
  if (!allLimits.includes(name))
    throw new Error(`RL_LIMITS: unknown limit \`${name}\`, expected ${allLimits.join(', ')}`);

const conforms = new Rate('ratelimit_conformance');

export const options = {
  scenarios: {
    conformance: {
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: 1,
      maxDuration: readString('MAX_DURATION', '30m'),
    },
  },
  thresholds: Object.fromEntries([
    ['ratelimit_conformance', ['rate==1']],
    ...selected.map((name) => [`ratelimit_conformance{limit:${name}}`, ['rate==1']]),
  ]),
};

const tolerance = (limit: number) => Math.max(1, Math.round(limit * toleranceShare));
const runTag = Date.now().toString(36);
let probeCounter = 0;

function randomIp(): string {
  const octet = () => 1 + Math.floor(Math.random() * 253);
  return `${octet()}.${octet()}.${octet()}.${octet()}`;
}

/** The request each limit counts; `spoof` adds forged client-IP headers. */
type Probe = (options: { spoof: boolean; phase: string }) => Promise<RefinedResponse>;

function spoofHeaders(): Record<string, string> {
  return { 'X-Forwarded-For': randomIp(), 'CF-Connecting-IP': randomIp(), 'X-Real-IP': randomIp() };
}

function createProbe(
  name: LimitName,
  context: { students: Account[]; token: string | undefined },
): Probe | undefined {
  const params = (spoof: boolean, phase: string, extra: Record<string, string> = {}) => ({
    headers: { ...buildHeaders({ limited: true }), ...(spoof ? spoofHeaders() : {}), ...extra },
    tags: { name: `ratelimit-${name}`, limit: name, phase },
    responseCallback: http.expectedStatuses({ min: 200, max: 499 }),
  });
  if (name === 'global')
    return ({ spoof, phase }) => http.asyncRequest('GET', `${apiBase}/auth/me`, null, params(spoof, phase));
  if (name === 'login_ip') {
    // a new unknown address each time, so only the per-IP window fills (never a real account's failures)
    return ({ spoof, phase }) =>
      http.asyncRequest(
        'POST',
        `${apiBase}${__ENV.LOGIN_PATH ?? '/auth/login'}`,
        { username: `preflight-rl-${runTag}-${probeCounter++}@example.invalid`, password: 'not-a-password' },
        params(spoof, phase),
      );
  }
  if (name === 'login_email') {
    if (context.students.length === 0) return undefined;
    // one real test account per phase with its real password: no failures, so no lockout muddles the window
    const byPhase = new Map<string, Account>();
    return ({ spoof, phase }) => {
      let account = byPhase.get(phase);
      if (!account) {
        account = context.students[Math.floor(Math.random() * context.students.length)] as Account;
        byPhase.set(phase, account);
      }
      return http.asyncRequest(
        'POST',
        `${apiBase}${__ENV.LOGIN_PATH ?? '/auth/login'}`,
        { username: account.email, password: account.password },
        params(spoof, phase),
      );
    };
  }
  if (!context.token) return undefined;
  // an empty body: the limiter counts it before validation answers 422, so no booking is ever made
  return ({ spoof, phase }) =>
    http.asyncRequest(
      'POST',
      `${apiBase}/bookings`,
      '{}',
      params(spoof, phase, { Authorization: `Bearer ${context.token}`, 'Content-Type': 'application/json' }),
    );
}

function record(limit: LimitName, property: string, ok: boolean, detail: string): void {
  conforms.add(ok, { limit, property });
  check(null, { [`${limit}: ${property}`]: () => ok }, { limit });
  console.log(`rate-limit ${limit} ${property}: ${ok ? 'ok' : 'FAIL'} (${detail})`);
}

const header = (r: RefinedResponse, name: string): string | undefined => {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
};

let windowDirty = false;

/** The last phase hit a limit: the next phase must start on an empty window. */
function markWindowUsed(): void {
  windowDirty = true;
}

/** Waits until a window that saw hits has emptied (only when one did: no waiting after the last phase). */
async function waitForFreshWindow(): Promise<void> {
  if (!windowDirty) return;
  await sleep(windowSeconds + 0.3);
  windowDirty = false;
}

async function testLimit(name: LimitName, probe: Probe): Promise<void> {
  const limit = configured[name];
  const tol = tolerance(limit);
  const cap = limit * 2 + 10;

  // 1. sequential: count allowed until the first 429; Remaining must decrease
  await waitForFreshWindow();
  let allowed = 0;
  let limited: RefinedResponse | undefined;
  const remaining: number[] = [];
  for (let i = 0; i < cap && !limited; i++) {
    const r = await probe({ spoof: false, phase: 'sequential' });
    if (r.status === 429) limited = r;
    else {
      allowed++;
      const value = Number(header(r, 'X-RateLimit-Remaining'));
      if (Number.isFinite(value)) remaining.push(value);
    }
  }
  record(
    name,
    'allowance',
    limited !== undefined && Math.abs(allowed - limit) <= tol,
    limited
      ? `${allowed} allowed before the first 429, configured ${limit} +-${tol}`
      : `no 429 after ${allowed} requests, configured ${limit}`,
  );
  const monotonic =
    remaining.length >= 2 &&
    remaining.every((v, i) => i === 0 || v <= (remaining[i - 1] as number)) &&
    (remaining.at(-1) as number) < (remaining[0] as number);
  record(
    name,
    'remaining decreases',
    monotonic,
    remaining.length
      ? `X-RateLimit-Remaining ${remaining[0]} -> ${remaining.at(-1)} over ${remaining.length} responses`
      : 'no X-RateLimit-Remaining header',
  );

  // 2. Retry-After is present and honoured
  if (limited) {
    const retryAfter = Number(header(limited, 'Retry-After'));
    const valid = Number.isFinite(retryAfter) && retryAfter >= 0 && retryAfter <= windowSeconds + 1;
    let after: RefinedResponse | undefined;
    if (valid) {
      await sleep(retryAfter + 0.3);
      after = await probe({ spoof: false, phase: 'retry' });
    }
    record(
      name,
      'retry-after honoured',
      valid && after !== undefined && after.status !== 429,
      valid
        ? `Retry-After ${retryAfter}s, then ${after?.status}`
        : `429 without a usable Retry-After (${header(limited, 'Retry-After') ?? 'missing'})`,
    );
    markWindowUsed();
  }

  // 3. concurrency: everything at once must not get past the limit
  await waitForFreshWindow();
  const burst = limit + Math.max(5, Math.ceil(limit / 2));
  const answers = await Promise.all(
    Array.from({ length: burst }, () => probe({ spoof: false, phase: 'concurrent' })),
  );
  const concurrentAllowed = answers.filter((r) => r.status !== 429).length;
  record(
    name,
    'holds under concurrency',
    Math.abs(concurrentAllowed - limit) <= tol,
    `${concurrentAllowed} of ${burst} simultaneous requests allowed, configured ${limit} +-${tol}`,
  );
  if (concurrentAllowed < burst) markWindowUsed();

  // 4. spoofing: forged client-IP headers must not raise an IP-keyed allowance
  if (name === 'global' || name === 'login_ip') {
    await waitForFreshWindow();
    let spoofAllowed = 0;
    for (let i = 0; i < burst; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, burst - i) }, () => probe({ spoof: true, phase: 'spoof' })),
      );
      spoofAllowed += batch.filter((r) => r.status !== 429).length;
    }
    record(
      name,
      'spoofed IPs do not raise the allowance',
      spoofAllowed <= limit + tol,
      `${spoofAllowed} of ${burst} requests with rotating X-Forwarded-For/CF-Connecting-IP/X-Real-IP allowed, configured ${limit}`,
    );
    if (spoofAllowed < burst) markWindowUsed();
  }
}

export default async function () {
  const students = readTestStudents();
  for (const name of selected) {
    let token: string | undefined;
    if (name === 'bookings' && students[0]) {
      // one login right before: it adds a single hit to the login and global windows, none to the bookings one
      await waitForFreshWindow();
      token = await logIn(students[0], { limited: true });
    }
    const probe = createProbe(name, { students, token });
    if (!probe) {
      record(
        name,
        'testable',
        false,
        name === 'bookings' ? 'no test student could log in' : 'no test students configured',
      );
      continue;
    }
    await testLimit(name, probe);
  }
}
