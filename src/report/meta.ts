/** What the verdict header says about the run: preflight's version and the git commit of the directory's repository. */
import { readFileSync } from 'node:fs';
import { findTool, runTool } from '../core/process.js';

export function getPreflightVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'preflight' || pkg.version) return pkg.version ?? '0.0.0';
    } catch {
      // not this level (source vs dist)
    }
  }
  return '0.0.0';
}

/** The short commit when `dir` is inside a git repository, else undefined. */
export async function getGitCommit(dir: string): Promise<string | undefined> {
  if (!findTool('git')) return undefined;
  try {
    const result = await runTool('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, timeoutMs: 5000 });
    return result.stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
