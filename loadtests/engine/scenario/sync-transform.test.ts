import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPreflightError } from '../../../src/core/errors.js';
import { writeScript } from '../../test/scripts.js';
import { startTestServer, type TestServer } from '../../test/server.js';
import { runScenario } from '../run.js';
import { assertNativeSupport, bundleScenario } from './bundle.js';
import { transformSyncCalls } from './sync-transform.js';

interface VuTrace {
  paths: string[];
  inFlight: number;
  maxInFlight: number;
}

const traces = new Map<string, VuTrace>();
/** Requests of one barrier id held until `n` of them arrived; then answered in reverse order of arrival. */
const barriers = new Map<string, Array<() => void>>();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    handler(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const vu = String(req.headers['x-vu'] ?? '');
      const trace = traces.get(vu) ?? { paths: [], inFlight: 0, maxInFlight: 0 };
      traces.set(vu, trace);
      trace.paths.push(url.pathname);
      trace.inFlight++;
      trace.maxInFlight = Math.max(trace.maxInFlight, trace.inFlight);
      const answer = (status: number) => () => {
        trace.inFlight--;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path: url.pathname, next: `${url.pathname}/next` }));
      };
      const barrier = url.searchParams.get('barrier');
      if (barrier) {
        const n = Number(url.searchParams.get('n'));
        const waiting = barriers.get(barrier) ?? [];
        barriers.set(barrier, waiting);
        // A batch that ran one request at a time never fills the barrier: answer 504 after a while.
        const fallback = setTimeout(answer(504), 5000);
        waiting.push(() => {
          clearTimeout(fallback);
          answer(200)();
        });
        if (waiting.length === n) for (const release of waiting.reverse()) release();
        return true;
      }
      // A short delay so that requests a VU failed to wait for would overlap.
      setTimeout(answer(200), 15);
      return true;
    },
  });
});
afterAll(async () => {
  await server.close();
});

const native = { engine: 'native' as const, resultsDir: false as const };

async function runSync(source: string, files: Record<string, string> = {}) {
  const path = writeScript(source);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dirname(path), name)), { recursive: true });
    writeFileSync(join(dirname(path), name), text);
  }
  traces.clear();
  return runScenario({ scenario: path, ...native, env: { BASE_URL: server.url } });
}

async function refusal(source: string, files: Record<string, string> = {}): Promise<Error> {
  const before = server.count;
  const error = await runSync(source, files).then(
    () => new Error('the run was not refused'),
    (e: Error) => e,
  );
  expect(isPreflightError(error) && error.code).toBe('E_UNSUPPORTED_API');
  expect(server.count).toBe(before);
  return error;
}

describe('synchronous k6 scripts on the native engine', () => {
  it('runs blocking calls one at a time per VU, in order, through helpers, methods, groups and other files', async () => {
    const result = await runSync(
      `
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import * as k6 from 'k6';
import { login } from './lib/auth.js';
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 3, iterations: 2 } },
  thresholds: { 'http_reqs{group:::outer::inner}': ['count==12'], 'checks{group:::outer}': ['rate==1'] },
};
const params = () => ({ headers: { 'x-vu': String(__VU) } });
const api = {
  profile(base) { return http.get(base + '/profile', params()); },
};
class Client {
  constructor(base) { this.base = base; }
  fetch(path) { return http.request('PATCH', this.base + path, null, params()); }
  both() { this.fetch('/m1'); return this.fetch('/m2'); }
}
export default function () {
  const first = login(__ENV.BASE_URL, params());
  // the next URL comes from the previous answer: it exists only if the call was awaited
  http.post(__ENV.BASE_URL + first.json().next, { a: '1' }, params());
  group('outer', function () {
    check(api.profile(__ENV.BASE_URL), { 'profile ok': (r) => r.status === 200 });
    group('inner', () => {
      http.put(__ENV.BASE_URL + '/put', 'x', params());
      http.del(__ENV.BASE_URL + '/del', null, params());
    });
  });
  new Client(__ENV.BASE_URL).both();
  k6.sleep(0.01);
  sleep(0.01);
  http.head(__ENV.BASE_URL + '/head', params());
}
`,
      {
        'lib/auth.js': `import http from 'k6/http';
export function login(base, params) { return http.get(base + '/login', params); }
`,
      },
    );
    expect(result.exitCode).toBe(0);
    // the group tag stays on requests made after the group's callback awaited something
    expect(result.summary.thresholds).toEqual([
      expect.objectContaining({ metric: 'http_reqs{group:::outer::inner}', ok: true, observed: 12 }),
      expect.objectContaining({ metric: 'checks{group:::outer}', ok: true, observed: 1 }),
    ]);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(48);
    expect(traces.size).toBe(3);
    for (const trace of traces.values()) {
      expect(trace.maxInFlight).toBe(1);
      const one = ['/login', '/login/next', '/profile', '/put', '/del', '/m1', '/m2', '/head'];
      expect(trace.paths).toEqual([...one, ...one]);
    }
    expect(result.summary.checks).toContainEqual(
      expect.objectContaining({ name: 'profile ok', passes: 6, fails: 0 }),
    );
  });

  it('http.batch runs the requests of one call side by side and returns them in order (array and object forms)', async () => {
    const result = await runSync(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1, vus: 1 };
export default function () {
  const b = __ENV.BASE_URL;
  const list = http.batch([
    b + '/a?barrier=list&n=3',
    ['GET', b + '/b?barrier=list&n=3', null, { tags: { name: 'b' } }],
    { method: 'POST', url: b + '/c?barrier=list&n=3', body: 'x' },
  ]);
  const named = http.batch({ one: b + '/one?barrier=named&n=2', two: ['GET', b + '/two?barrier=named&n=2'] });
  check(list, {
    'all three answered together': (l) => l.every((r) => r.status === 200),
    'results in request order': (l) => l.map((r) => r.json().path).join() === '/a,/b,/c',
  });
  check(named, {
    'object form keeps the keys': (n) => n.one.json().path === '/one' && n.two.json().path === '/two',
    'both answered together': (n) => n.one.status === 200 && n.two.status === 200,
  });
}
`);
    expect(result.summary.checks.map((c) => [c.name, c.fails])).toEqual([
      ['all three answered together', 0],
      ['results in request order', 0],
      ['object form keeps the keys', 0],
      ['both answered together', 0],
    ]);
    expect(result.summary.metrics.http_reqs?.values.count).toBe(5);
  });

  it('awaits callbacks given to the script\u2019s own helpers (retry, a describe() around group)', async () => {
    const result = await runSync(`
import http from 'k6/http';
import { check, group } from 'k6';
export const options = { iterations: 1, vus: 1, thresholds: { 'http_reqs{group:::suite}': ['count==3'] } };
const params = { headers: { 'x-vu': '9' } };
function retry(times, fn) {
  for (let i = 0; i < times; i++) { const r = fn(); if (r.status === 200) return r; }
  return null;
}
function describe(name, fn) { return group(name, () => { try { fn(); return true; } catch (e) { return false; } }); }
const twice = (fn) => { fn(); return fn(); };
export default function () {
  describe('suite', () => {
    const r = retry(3, () => http.get(__ENV.BASE_URL + '/retry', params));
    check(r, { 'retried answer': (x) => x !== null && x.json().path === '/retry' });
    twice(() => http.get(__ENV.BASE_URL + '/twice', params));
  });
}
`);
    expect(result.summary.checks[0]).toMatchObject({ name: 'retried answer', passes: 1, fails: 0 });
    expect(result.summary.thresholds[0]).toMatchObject({ ok: true, observed: 3 });
    expect(traces.get('9')).toMatchObject({ paths: ['/retry', '/twice', '/twice'], maxInFlight: 1 });
  });

  it('leaves callbacks the script wrote async to the script (Promise.all over an async .map())', () => {
    const result = transformSyncCalls(`import http from "k6/http";
export default async function () {
  const all = await Promise.all(["a", "b"].map(async (p) => http.get(p)));
  return all;
}
`);
    expect(result.problems).toEqual([]);
    expect(result.code).toContain('["a", "b"].map(async (p) => (await http.get(p)))');
  });

  it('awaits functions reached through a namespace import that is passed around (esbuild\u2019s __export getters)', async () => {
    const result = await runSync(
      `import * as lib from './lib.js';
import { check } from 'k6';
export const options = { iterations: 1, vus: 1 };
const api = lib;
export default function () {
  check(api.login(__ENV.BASE_URL + '/ns'), { 'namespace call answered': (r) => r.json().path === '/ns' });
}
`,
      {
        'lib.js': `import http from 'k6/http';
export function login(url) { return http.get(url, { headers: { 'x-vu': 'ns' } }); }
`,
      },
    );
    expect(result.summary.checks[0]).toMatchObject({ name: 'namespace call answered', passes: 1, fails: 0 });
  });

  it('keeps the portable async style and mixes it with the synchronous one', async () => {
    const result = await runSync(`
import http from 'k6/http';
import { sleep, check } from 'k6';
export const options = { iterations: 2, vus: 1 };
const params = { headers: { 'x-vu': '1' } };
async function portable(b) { const r = await http.asyncRequest('GET', b + '/async', null, params); await sleep(0.01); return r; }
export default async function () {
  const a = await portable(__ENV.BASE_URL);
  const s = http.get(__ENV.BASE_URL + '/sync', params);
  const both = await Promise.all([http.asyncRequest('GET', __ENV.BASE_URL + '/p1', null, params)]);
  check(null, { 'all answered': () => a.status === 200 && s.status === 200 && both[0].status === 200 });
}
`);
    expect(result.summary.checks[0]).toMatchObject({ name: 'all answered', passes: 2, fails: 0 });
    expect(traces.get('1')?.paths.slice(0, 3)).toEqual(['/async', '/sync', '/p1']);
  });
});

describe('what the transform refuses before the run', () => {
  it('names the file and line of a blocking call in an array callback, with the for...of fix', async () => {
    const error = await refusal(
      `import { visit } from './pages.js';
export default function () {
  visit(['/a', '/b']);
}
`,
      {
        'pages.js': `import http from 'k6/http';
export function visit(paths) {
  paths.forEach((p) => {
    http.get(__ENV.BASE_URL + p);
  });
}
`,
      },
    );
    expect(error.message).toMatch(/a \.forEach\(\) callback at \S*pages\.js:3/);
    expect(error.message).toMatch(/reaches http\.get\(\) at \S*pages\.js:4/);
    expect(error.message).toContain('for (const item of items)');
  });

  it('refuses getters, constructors, callbacks to unknown code, functions as values, generators and init-context requests', async () => {
    const error = await refusal(`import http from 'k6/http';
import { sleep } from 'k6';
class Page {
  constructor() { this.res = http.get(__ENV.BASE_URL); }
  get status() { return http.get(__ENV.BASE_URL).status; }
}
function later() { sleep(1); }
function* pages() { yield http.get(__ENV.BASE_URL); }
const handlers = [later];
http.get(__ENV.BASE_URL + '/init');
export default function () {
  setTimeout(later, 10);
  [1].map(() => sleep(1));
}
export { Page, pages, handlers };
`);
    const lines = error.message.split('\n').slice(1);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/a constructor at \S*scenario\.js:4: a constructor reaches http\.get\(\)/),
        expect.stringMatching(/a getter at \S*scenario\.js:5: /),
        expect.stringMatching(/a generator at \S*scenario\.js:8: /),
        expect.stringMatching(/a function used as a value at \S*scenario\.js:9: later reaches sleep\(\)/),
        expect.stringMatching(/http\.get\(\) in the init context at \S*scenario\.js:10: /),
        expect.stringMatching(
          /a callback at \S*scenario\.js:12: later reaches sleep\(\) at \S*:7 and is passed as a callback to setTimeout\(\)/,
        ),
        expect.stringMatching(/a \.map\(\) callback at \S*scenario\.js:13: /),
      ]),
    );
    expect(lines).toHaveLength(7);
  });

  it('refuses k6/http functions and the module object passed on as values', () => {
    const { problems } = transformSyncCalls(`import http from "k6/http";
import { get } from "k6/http";
function run(h) { return h.get("x"); }
export default function () { const g = get; run(http); const p = http.post; }
`);
    expect(problems.map((p) => p.api)).toEqual([
      'http.get used as a value at line 4',
      'the k6/http module as a value at line 4',
      'http.post used as a value at line 4',
    ]);
  });

  it('refuses blocking calls in a class field initializer or a default parameter value', () => {
    const { problems } = transformSyncCalls(`import http from "k6/http";
class Page { res = http.get("x"); }
function load(res = http.get("y")) { return res; }
export default function () { load(); return new Page(); }
`);
    expect(problems.map((p) => p.api)).toEqual([
      'http.get() in a class field at line 2',
      'http.get() in a default parameter at line 3',
    ]);
  });

  it('refuses a check function that makes a request (k6 checks are synchronous)', () => {
    const { problems } = transformSyncCalls(`import http from "k6/http";
import { check } from "k6";
export default function () {
  check(null, { "reachable": () => http.get("x").status === 200 });
}
`);
    expect(problems.map((p) => p.api)).toEqual(['a check function at line 4']);
    expect(problems[0]?.message).toContain('make the request before check()');
  });

  it('names top-level await as a script error (E_K6_SCRIPT), not a crash', async () => {
    const error = await runSync(`import http from 'k6/http';
const data = await Promise.resolve(1);
export default function () { http.get(__ENV.BASE_URL + '/' + data); }
`).catch((e: Error) => e);
    expect(isPreflightError(error) && error.code).toBe('E_K6_SCRIPT');
    expect((error as Error).message).toMatch(/Top-level await/i);
  });

  it.each([
    ['k6/ws', 'WebSockets (k6/ws)'],
    ['k6/browser', 'the browser module (k6/browser)'],
    ['k6/net/grpc', 'gRPC (k6/net/grpc)'],
    ['k6/experimental/redis', 'an experimental module (k6/experimental/redis)'],
    [
      'https://jslib.k6.io/k6-utils/1.4.0/index.js',
      'remote module https://jslib.k6.io/k6-utils/1.4.0/index.js',
    ],
  ])('refuses %s before the run, naming it and suggesting --engine k6', async (module, named) => {
    const error = await refusal(`import * as m from '${module}';
import http from 'k6/http';
export default function () { http.get(__ENV.BASE_URL); console.log(typeof m); }
`);
    expect(error.message).toContain(named);
    expect(error.message).toContain('--engine k6');
  });
});

describe('the transformed code', () => {
  it('awaits each blocking call once, marks only the functions that reach one async, and leaves awaited calls alone', () => {
    const result = transformSyncCalls(`import http from "k6/http";
import { group, check } from "k6";
const fmt = (r) => r.status;
function one() { return http.get("a"); }
async function already() { return await http.get("b"); }
export default function () {
  group("g", () => { check(one(), { s: (r) => fmt(r) === 200 }); });
  [1, 2].map(fmt);
  (function () { http.batch(["c"]); })();
}
`);
    expect(result.problems).toEqual([]);
    expect(result.code).toBe(`import http from "k6/http";
import { group, check } from "k6";
const fmt = (r) => r.status;
async function one() { return (await http.get("a")); }
async function already() { return await http.get("b"); }
export default async function () {
  (await group("g", async () => { check((await one()), { s: (r) => fmt(r) === 200 }); }));
  [1, 2].map(fmt);
  (await (async function () { (await http.batch(["c"])); })());
}
`);
    expect(result.awaitedCalls).toBe(5);
    // one, the group callback, the default function, the IIFE (already() was async in the script)
    expect(result.asyncFunctions).toBe(4);
  });

  it('matches blocking methods by name, but not on a Map, an array or an object literal without them', () => {
    const result = transformSyncCalls(`import http from "k6/http";
const api = { get(p) { return http.get(p); } };
const cache = new Map();
const plain = { get: (k) => k };
function Legacy() {}
Legacy.prototype.get = function (p) { return http.get(p); };
export default function (data) {
  const names = ["a"].map((k) => cache.get(k) + plain.get(k));
  api.get(names[0]);
  data.client.get("x");
  new Legacy().get("y");
}
`);
    expect(result.problems).toEqual([]);
    expect(result.code).toContain('const names = ["a"].map((k) => cache.get(k) + plain.get(k));');
    expect(result.code).toContain('(await api.get(names[0]));');
    expect(result.code).toContain('(await data.client.get("x"));');
    expect(result.code).toContain('(await new Legacy().get("y"));');
  });

  it('bundles the repository scenarios (portable style) without problems', async () => {
    const bundle = await bundleScenario(join(import.meta.dirname, '..', '..', 'scenarios', 'smoke.ts'));
    expect(() => assertNativeSupport(bundle)).not.toThrow();
    expect(bundle.cjs).toContain('asyncRequest');
  });
});
