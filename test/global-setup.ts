// Builds dist/ once so CLI tests run the real `bin/preflight.js` against current sources, and gives the run its own
// temporary directory: every test (and every process it starts) writes under it through TMPDIR, and the run fails
// if anything is left there at the end (each test removes what it creates; see test/temp-check.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build.mjs')], {
    stdio: 'inherit',
  });
  const runDir = mkdtempSync(join(tmpdir(), 'preflight-run-'));
  // Like /tmp: the PostgreSQL tests run the server as `postgres`, which writes its own files here too.
  chmodSync(runDir, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (left.length > 0)
      throw new Error(`the tests left ${left.length} entries in the temp directory: ${left.join(', ')}`);
  };
}
