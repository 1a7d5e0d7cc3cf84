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
  // On Node 20 (past its end of life; the supported lines are 22 and 24) the AWS SDK warns once per process that its
  // 2027 releases need Node 22. True, and said in the README; in every S3 test process it is noise.
  if (Number(process.versions.node.split('.')[0]) < 22)
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports an error thrown here but keeps its exit code, so the failure is set as well
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} entries in the temp directory: ${left.join(', ')}`);
    }
  };
}
