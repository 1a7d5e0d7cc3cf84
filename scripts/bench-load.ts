/**
 * `npm run bench:load`: the native engine's maximum request rate on one core against a minimal local node
 * http server, in the async and the synchronous script style, beside autocannon (and k6 when installed), plus peak RSS. It measures the built engine in dist/ (what the
 * `preflight` bin runs; the npm script builds it first), not the TypeScript sources through tsx.
 *   BENCH_LOAD_SECONDS (default 10)   duration of each throughput run
 *   BENCH_LOAD_CONNECTIONS (default 64) VUs / autocannon connections
 *   BENCH_LOAD_ROUNDS (default 2)      alternate native and autocannon this many times; the best of each counts
 *                                      (the machine is shared, so one round is noisy)
 *   BENCH_LOAD_REQUESTS (optional)     also run exactly this many requests (e.g. 10000000) and report peak RSS
 *   BENCH_LOAD_K6_RPS (optional)       a k6 req/s figure measured elsewhere on one core, used when k6 is not on PATH
 * Each round runs the async-style script, the same request in k6's synchronous style (`http.get`, through the sync
 * transform), k6 on the synchronous script when it is on PATH (K6_BIN), and autocannon; it prints three ratios:
 * sync/async, native/k6, async/autocannon.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { findTool, startTool } from '../src/core/process.js';

const { runScenario } = (await import(
  new URL('../dist/loadtests/engine/run.js', import.meta.url).href
)) as typeof import('../loadtests/engine/run.js');

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const connections = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 64);
const requests = process.env.BENCH_LOAD_REQUESTS ? Number(process.env.BENCH_LOAD_REQUESTS) : undefined;
const rounds = Math.max(1, Number(process.env.BENCH_LOAD_ROUNDS ?? 2));
const recordedK6Rps = process.env.BENCH_LOAD_K6_RPS ? Number(process.env.BENCH_LOAD_K6_RPS) : undefined;

const serverCode = `
const http = require('node:http');
const body = Buffer.from('{"ok":true}');
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function trackPeakRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const server = startTool(process.execPath, ['-e', serverCode]);
  const dir = mkdtempSync(join(tmpdir(), 'preflight-bench-load-'));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      server.result.catch(reject);
    });
    const url = `http://127.0.0.1:${port}/`;
    const script = join(dir, 'bench.js');
    writeFileSync(
      script,
      `import http from 'k6/http';\nexport default async function () { await http.asyncRequest('GET', ${JSON.stringify(url)}); }\n`,
    );
    // The same request as k6's documentation writes it; the native engine runs it through the sync transform.
    const syncScript = join(dir, 'bench-sync.js');
    writeFileSync(
      syncScript,
      `import http from 'k6/http';\nexport default function () { http.get(${JSON.stringify(url)}); }\n`,
    );
    process.stderr.write(`target: minimal node http server (separate process) at ${url}\n`);
    const k6Path = findTool(process.env.K6_BIN ?? 'k6');

    const best = {
      async: { rps: 0, reqs: 0, p99: 0 },
      sync: { rps: 0, reqs: 0, p99: 0 },
      k6: { rps: 0, reqs: 0, p99: 0 },
      cannon: { rps: 0, reqs: 0, p99: 0 },
    };
    let nativeRss = 0;
    const runEngine = async (path: string, engine: 'native' | 'k6') => {
      const run = await runScenario({
        scenario: path,
        engine,
        vus: connections,
        duration: `${seconds}s`,
        resultsDir: false,
        checkReachable: false,
        // one core for k6 too (the native engine runs on one thread anyway)
        env: engine === 'k6' ? { GOMAXPROCS: '1' } : undefined,
      });
      const reqs = run.summary.metrics.http_reqs?.values.count ?? 0;
      return {
        rps: reqs / (run.summary.durationMs / 1000),
        reqs,
        p99: run.summary.latency.uncorrected?.p99 ?? 0,
      };
    };
    const keep = (slot: { rps: number; reqs: number; p99: number }, r: typeof slot) => {
      if (r.rps > slot.rps) Object.assign(slot, r);
    };
    for (let round = 1; round <= rounds; round++) {
      const runAsync = async () => {
        process.stderr.write(
          `round ${round}/${rounds}: native engine, async style, ${connections} VUs for ${seconds}s on one thread...\n`,
        );
        const rss = trackPeakRss();
        keep(best.async, await runEngine(script, 'native'));
        // Round 1 runs before autocannon has allocated anything in this process.
        const peak = rss.stop();
        if (round === 1) nativeRss = peak;
      };
      const runSync = async () => {
        process.stderr.write(`round ${round}/${rounds}: native engine, synchronous style (http.get)...\n`);
        keep(best.sync, await runEngine(syncScript, 'native'));
      };
      // The first run of a round comes right after process start or autocannon and measured slower; even rounds
      // swap the two styles so neither always gets that slot (the sync/async ratio was favouring sync).
      if (round % 2 === 1) {
        await runAsync();
        await runSync();
      } else {
        await runSync();
        await runAsync();
      }
      if (k6Path) {
        process.stderr.write(
          `round ${round}/${rounds}: k6 (${k6Path}), synchronous style, GOMAXPROCS=1...\n`,
        );
        keep(best.k6, await runEngine(syncScript, 'k6'));
      }
      process.stderr.write(
        `round ${round}/${rounds}: autocannon, ${connections} connections for ${seconds}s in the same process...\n`,
      );
      const cannon = await autocannon({ url, connections, duration: seconds });
      keep(best.cannon, {
        rps: cannon.requests.total / (cannon.duration || seconds),
        reqs: cannon.requests.total,
        p99: cannon.latency.p99,
      });
    }

    const row = (name: string, r: { rps: number; reqs: number; p99: number }, extra = '') => [
      name,
      r.rps.toFixed(0),
      `${r.reqs} requests`,
      extra,
      `p99 ${r.p99.toFixed(2)} ms`,
    ];
    const rows = [
      row('native, async style', best.async, `peak RSS ${mib(nativeRss)}`),
      row('native, sync style', best.sync),
      ...(k6Path ? [row('k6 (GOMAXPROCS=1)', best.k6)] : []),
      row('autocannon', best.cannon),
    ];
    process.stdout.write(`best of ${rounds} round(s), req/s on one thread:\n`);
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(i === 0 ? 26 : 18)).join('')}\n`);
    process.stdout.write(
      `ratio sync/async:            ${(best.sync.rps / best.async.rps).toFixed(2)} (goal >= 0.90)\n`,
    );
    if (k6Path)
      process.stdout.write(
        `ratio native sync/k6:        ${(best.sync.rps / best.k6.rps).toFixed(2)} (goal >= 3; k6 measured in this run)\n`,
      );
    else if (recordedK6Rps)
      process.stdout.write(
        `ratio native sync/k6:        ${(best.sync.rps / recordedK6Rps).toFixed(2)} (goal >= 3; against BENCH_LOAD_K6_RPS=${recordedK6Rps}, a figure measured elsewhere, not in this run)\n`,
      );
    else
      process.stdout.write(
        'ratio native sync/k6:        not measured here (k6 is not on PATH and loadtests/README.md records no k6 figure; set K6_BIN, or BENCH_LOAD_K6_RPS to a k6 req/s figure measured on the same core)\n',
      );
    process.stdout.write(
      `ratio async/autocannon:      ${(best.async.rps / best.cannon.rps).toFixed(2)} (goal >= 1.00); native req/s per core: ${best.async.rps.toFixed(0)}\n`,
    );

    if (requests) {
      process.stderr.write(`memory run: exactly ${requests} requests with ${connections} VUs...\n`);
      const memory = trackPeakRss();
      const started = Date.now();
      const run = await runScenario({
        scenario: script,
        engine: 'native',
        vus: connections,
        iterations: requests,
        duration: '24h',
        resultsDir: false,
        checkReachable: false,
        onProgress: (p) => {
          if (Math.floor(p.elapsedMs / 1000) % 30 === 0) {
            process.stderr.write(
              `  ${p.iterations} requests after ${(p.elapsedMs / 1000).toFixed(0)} s, RSS ${mib(process.memoryUsage().rss)}\n`,
            );
          }
        },
      });
      const peak = memory.stop();
      const count = run.summary.metrics.http_reqs?.values.count ?? 0;
      process.stdout.write(
        `memory run: ${count} requests in ${((Date.now() - started) / 1000).toFixed(0)} s, peak RSS ${mib(peak)} (goal: 10,000,000 within 300 MB)\n`,
      );
    } else {
      process.stdout.write(
        `memory: peak RSS ${mib(nativeRss)} over ${best.async.reqs} requests (set BENCH_LOAD_REQUESTS=10000000 for the long run)\n`,
      );
    }
  } finally {
    await server.kill();
    await server.result.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
