// Runs before every test file: the file gets its own temporary directory (TMPDIR, under the run's, see
// test/global-setup.ts), and fails if it leaves anything there, so a leak is named with the file that made it.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const runDir = tmpdir();
const fileDir = mkdtempSync(join(runDir, 'file-'));
chmodSync(fileDir, 0o1777);
process.env.TMPDIR = fileDir;

afterAll(() => {
  process.env.TMPDIR = runDir;
  const left = readdirSync(fileDir);
  rmSync(fileDir, { recursive: true, force: true });
  if (left.length > 0)
    throw new Error(`this test file left ${left.length} entries in the temp directory: ${left.join(', ')}`);
});
