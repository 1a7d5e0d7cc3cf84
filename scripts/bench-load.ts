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
 *                                      (instead of the published figure recorded below and in loadtests/README.md)
 * Each round runs the async-style script, the same request in k6's synchronous style (`http.get`, through the sync
 * transform), k6 on the synchronous script when it is on PATH (K6_BIN), and autocannon; it prints three ratios:
 * sync/async, native/k6, async/autocannon. Beside req/s it prints the CPU time per request of each client (this
 * process) and of the server (Linux /proc), which tells which side a run was bound by and moves less than req/s on
 * a shared machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * k6's own published figure for this script, used when k6 is not installed and BENCH_LOAD_K6_RPS is not set (no k6
 * can be installed on this repository's machines). grafana/k6-benchmarks, results/v0.42.0, published 2023-02-06:
 * RPS-optimized.js (one `http.get` per iteration, discardResponseBodies) on an EC2 m5.24xlarge. In the steady
 * window (test time 40.2-59.2 s) it made 3,704,158 requests, 194,956 req/s, while its CPU samples averaged 85.3
 * vCPUs: about 2,290 req/s per busy vCPU. loadtests/README.md gives the derivation and how it differs from this bench.
 */
const publishedK6 = {
  rpsPerCore: 2290,
  label: 'k6 v0.42.0 figure published 2023-02-06 (grafana/k6-benchmarks)',
};

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

/** CPU microseconds a process has used (Linux /proc; utime and stime in clock ticks of 10 ms), or NaN elsewhere. */
function processCpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

interface Measured {
  rps: number;
  reqs: number;
  p99: number;
  /** CPU microseconds per request of the client (this process) and of the server. */
  clientCpu: number;
  serverCpu: number;
}

/** Runs `work`, adding the CPU time per request it cost this process and the server. */
async function withCpu(
  serverPid: number | undefined,
  work: () => Promise<Omit<Measured, 'clientCpu' | 'serverCpu'>>,
): Promise<Measured> {
  const client0 = process.cpuUsage();
  const server0 = serverPid ? processCpuUs(serverPid) : Number.NaN;
  const result = await work();
  const client = process.cpuUsage(client0);
  const server = serverPid ? processCpuUs(serverPid) - server0 : Number.NaN;
  const per = (us: number) => (result.reqs ? us / result.reqs : Number.NaN);
  return { ...result, clientCpu: per(client.user + client.system), serverCpu: per(server) };
}

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

    const empty = (): Measured => ({ rps: 0, reqs: 0, p99: 0, clientCpu: Number.NaN, serverCpu: Number.NaN });
    const best = { async: empty(), sync: empty(), k6: empty(), cannon: empty() };
    const serverPid = server.pid;
    let nativeRss = 0;
    const runEngine = (path: string, engine: 'native' | 'k6') =>
      withCpu(serverPid, async () => {
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
      });
    const keep = (slot: Measured, r: Measured) => {
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
      keep(
        best.cannon,
        await withCpu(serverPid, async () => {
          const cannon = await autocannon({ url, connections, duration: seconds });
          return {
            rps: cannon.requests.total / (cannon.duration || seconds),
            reqs: cannon.requests.total,
            p99: cannon.latency.p99,
          };
        }),
      );
    }

    const cpu = (us: number) => (Number.isFinite(us) ? `${us.toFixed(1)} us` : 'n/a');
    const row = (name: string, r: Measured, extra = '', clientCpu = true) => [
      name,
      r.rps.toFixed(0),
      `${r.reqs} requests`,
      extra,
      `p99 ${r.p99.toFixed(2)} ms`,
      `CPU/req client ${clientCpu ? cpu(r.clientCpu) : 'n/a'}, server ${cpu(r.serverCpu)}`,
    ];
    const rows = [
      row('native, async style', best.async, `peak RSS ${mib(nativeRss)}`),
      row('native, sync style', best.sync),
      // k6 is a child process: its CPU is not this process's
      ...(k6Path ? [row('k6 (GOMAXPROCS=1)', best.k6, '', false)] : []),
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
        `ratio native sync/k6:        ${(best.sync.rps / publishedK6.rpsPerCore).toFixed(2)} (goal >= 3; k6 not measured in this run: against the ${publishedK6.label}, ${publishedK6.rpsPerCore} req/s per busy vCPU, recorded in loadtests/README.md; set K6_BIN to measure k6 here)\n`,
      );
    process.stdout.write(
      `ratio async/autocannon:      ${(best.async.rps / best.cannon.rps).toFixed(2)} (goal >= 1.00); native req/s per core: ${best.async.rps.toFixed(0)}\n`,
    );
    process.stdout.write(
      `CPU per request, async/autocannon: ${(best.async.clientCpu / best.cannon.clientCpu).toFixed(2)} (the native figure includes loading the script and its ${connections} VUs)\n`,
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
