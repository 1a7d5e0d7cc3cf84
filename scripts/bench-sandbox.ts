/**
 * `npm run bench:sandbox`: the time `sandbox up` takes (initdb + schema + seed + API ready; goal <= 10 s on
 * 2 cores) and GET /api/v1/search requests per second (autocannon, with the rate-limit bypass header).
 * Options: BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 10), BENCH_JSON=1 for JSON output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../src/core/output.js';
import { startSandbox } from '../src/sandbox/index.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const goalMs = 10_000;
const log = (message: string) => process.stderr.write(`[bench:sandbox] ${message}\n`);
// autocannon ships no types; it is loaded as CommonJS
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const queries = [
  'piano under $80',
  'guitar lessons',
  'spanish tutor max $50',
  'yoga 45 per hour',
  'pianno',
  'lessons under $50',
];

const dir = mkdtempSync(join(tmpdir(), 'preflight-bench-sandbox-'));
try {
  const started = Date.now();
  const sandbox = await startSandbox({ dir, log: (m) => log(m) });
  const upMs = Date.now() - started;
  try {
    const { baseUrl, rateLimitBypass, origin } = sandbox.state;
    log(`running ${durationSeconds} s of GET /api/v1/search with ${connections} connections`);
    const result = await autocannon({
      url: baseUrl,
      connections,
      duration: durationSeconds,
      headers: { [rateLimitBypass.header]: rateLimitBypass.token, origin, accept: 'application/json' },
      requests: queries.map((q) => ({
        method: 'GET',
        path: `/api/v1/search?q=${encodeURIComponent(q)}&limit=20`,
      })),
    });
    const summary = {
      sandboxUpMs: upMs,
      sandboxUpGoalMs: goalMs,
      sandboxUpWithinGoal: upMs <= goalMs,
      searchRequestsPerSecond: Math.round(result.requests.average),
      searchRequests: result.requests.total,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, average: result.latency.average },
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      connections,
      durationSeconds,
    };
    if (process.env.BENCH_JSON) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      process.stdout.write(
        [
          `sandbox up (initdb + schema + seed + API ready): ${formatDuration(upMs)} (goal <= ${formatDuration(goalMs)}: ${upMs <= goalMs ? 'met' : 'missed'})`,
          `GET /api/v1/search: ${summary.searchRequestsPerSecond} requests/s over ${durationSeconds} s, ${connections} connections (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${summary.errors})`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await sandbox.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
