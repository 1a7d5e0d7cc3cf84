/** Test helper: a real sandbox twin with weakness switches, in a temporary directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/index.js';

export interface TestSandbox {
  handle: SandboxHandle;
  /** PREFLIGHT_HOME whose sandbox/ holds the state file, for CLI runs against `--target sandbox`. */
  home: string;
  close(): Promise<void>;
}

export async function startTestSandbox(weaken: string[]): Promise<TestSandbox> {
  const home = mkdtempSync(join(tmpdir(), 'preflight-scan-'));
  const handle = await startSandbox({ dir: join(home, 'sandbox'), weaken });
  return {
    handle,
    home,
    async close() {
      try {
        await handle.stop();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
