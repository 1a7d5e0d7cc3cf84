/**
 * bench:scan: a full `preflight scan` of the sandbox twin, hardened and with every weakness switch on.
 * Budget per scan: 30 s and 3,000 requests. Prints both numbers; exits 1 when a scan is over budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planScan, runScan } from '../security/scan.js';
import { formatDuration, formatTable } from '../src/core/output.js';
import { startSandbox } from '../src/sandbox/index.js';

const MAX_SECONDS = 30;
const MAX_REQUESTS = 3000;
const allSwitches = [
  'cors-reflect-origin',
  'jwt-alg-none',
  'jwt-weak-secret',
  'jwt-no-expiry-check',
  'verbose-errors',
  'sqli-search',
  'idor-bookings',
  'mass-assignment',
  'docs-exposed',
  'metrics-public',
  'no-login-throttle',
];

async function benchScan(label: string, weaken: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'preflight-bench-scan-'));
  const sandbox = await startSandbox({ dir: join(home, 'sandbox'), weaken });
  try {
    const result = await runScan(planScan(sandbox.target));
    return {
      label,
      seconds: result.durationMs / 1000,
      requests: result.requests,
      findings: result.findings.length,
    };
  } finally {
    await sandbox.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const runs = [await benchScan('hardened', []), await benchScan('all switches', allSwitches)];
const over = runs.filter((r) => r.seconds > MAX_SECONDS || r.requests > MAX_REQUESTS);
process.stdout.write(
  `${formatTable(
    ['sandbox', 'duration', 'requests', 'findings', 'budget'],
    runs.map((r) => [
      r.label,
      formatDuration(r.seconds * 1000),
      r.requests,
      r.findings,
      r.seconds <= MAX_SECONDS && r.requests <= MAX_REQUESTS ? 'ok' : 'OVER',
    ]),
  )}\n`,
);
process.stdout.write(`budget: <= ${MAX_SECONDS} s and <= ${MAX_REQUESTS} requests per full scan\n`);
process.exitCode = over.length > 0 ? 1 : 0;
