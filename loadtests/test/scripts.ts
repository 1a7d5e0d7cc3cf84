/** Writes throwaway scenario scripts for tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writeScript(source: string, name = 'scenario.js'): string {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-load-test-'));
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}
