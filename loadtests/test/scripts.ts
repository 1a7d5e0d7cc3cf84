/** Writes throwaway scenario scripts for tests; a test file's scripts are removed after its last test. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

let root: string | undefined;

export function writeScript(source: string, name = 'scenario.js'): string {
  if (!root || !existsSync(root)) root = makeTempDir('preflight-load-test-');
  const dir = mkdtempSync(join(root, 'script-'));
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}
