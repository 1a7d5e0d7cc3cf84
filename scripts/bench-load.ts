/**
 * `npm run bench:load`: the native engine's maximum request rate on one core against a minimal local node
 * http server, beside autocannon in the same run, plus peak RSS. It measures the built engine in dist/ (what the
 * `preflight` bin runs; the npm script builds it first), not the TypeScript sources through tsx.
 *   BENCH_LOAD_SECONDS (default 10)   duration of each throughput run
 *   BENCH_LOAD_CONNECTIONS (default 64) VUs / autocannon connections
 *   BENCH_LOAD_ROUNDS (default 2)      alternate native and autocannon this many times; the best of each counts
 *                                      (the machine is shared, so one round is noisy)
 *   BENCH_LOAD_REQUESTS (optional)     also run exactly this many requests (e.g. 10000000) and report peak RSS
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startTool } from '../src/core/process.js';

const { runScenario } = (await import(
  new URL('../dist/loadtests/engine/run.js', import.meta.url).href
)) as typeof import('../loadtests/engine/run.js');

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const connections = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 64);
const requests = process.env.BENCH_LOAD_REQUESTS ? Number(process.env.BENCH_LOAD_REQUESTS) : undefined;
const rounds = Math.max(1, Number(process.env.BENCH_LOAD_ROUNDS ?? 2));

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
    process.stderr.write(`target: minimal node http server (separate process) at ${url}\n`);

    let nativeRps = 0;
    let nativeReqs = 0;
    let nativeRss = 0;
    let nativeP99 = 0;
    let cannonRps = 0;
    let cannonReqs = 0;
    let cannonP99 = 0;
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(
        `round ${round}/${rounds}: native engine, ${connections} VUs for ${seconds}s on one thread...\n`,
      );
      const rss = trackPeakRss();
      const native = await runScenario({
        scenario: script,
        engine: 'native',
        vus: connections,
        duration: `${seconds}s`,
        resultsDir: false,
        checkReachable: false,
      });
      // Round 1 runs before autocannon has allocated anything in this process.
      const peak = rss.stop();
      if (round === 1) nativeRss = peak;
      const reqs = native.summary.metrics.http_reqs?.values.count ?? 0;
      const rps = reqs / (native.summary.durationMs / 1000);
      if (rps > nativeRps) {
        nativeRps = rps;
        nativeReqs = reqs;
        nativeP99 = native.summary.latency.uncorrected?.p99 ?? 0;
      }
      process.stderr.write(
        `round ${round}/${rounds}: autocannon, ${connections} connections for ${seconds}s in the same process...\n`,
      );
      const cannon = await autocannon({ url, connections, duration: seconds });
      const crps = cannon.requests.total / (cannon.duration || seconds);
      if (crps > cannonRps) {
        cannonRps = crps;
        cannonReqs = cannon.requests.total;
        cannonP99 = cannon.latency.p99;
      }
    }

    const rows = [
      [
        'native engine (1 thread)',
        nativeRps.toFixed(0),
        `${nativeReqs} requests`,
        `peak RSS ${mib(nativeRss)}`,
        `p99 ${nativeP99.toFixed(2)} ms`,
      ],
      ['autocannon', cannonRps.toFixed(0), `${cannonReqs} requests`, '', `p99 ${cannonP99} ms`],
    ];
    process.stdout.write(`best of ${rounds} round(s):\n`);
    for (const row of rows)
      process.stdout.write(`${row.map((c, i) => c.padEnd(i === 0 ? 26 : 18)).join('')}\n`);
    const ratio = nativeRps / cannonRps;
    process.stdout.write(
      `ratio native/autocannon: ${ratio.toFixed(2)} (goal >= 0.5); native req/s per core: ${nativeRps.toFixed(0)} (goal >= 15000)\n`,
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
        `memory: peak RSS ${mib(nativeRss)} over ${nativeReqs} requests (set BENCH_LOAD_REQUESTS=10000000 for the long run)\n`,
      );
    }
  } finally {
    await server.kill();
    await server.result.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
