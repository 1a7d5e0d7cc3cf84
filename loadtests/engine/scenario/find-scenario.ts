/** Finds a scenario: a path to any script, or a name from loadtests/scenarios/ (the project's, then preflight's own). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreflightError } from '../../../src/core/errors.js';

/** The preflight package root (holds package.json named "preflight"). */
export function getPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'preflight')
      return dir;
    dir = dirname(dir);
  }
  throw new PreflightError('E_INTERNAL', 'cannot find the preflight package root');
}

function getScenarioDirs(cwd: string): string[] {
  const dirs = [join(cwd, 'loadtests', 'scenarios')];
  try {
    dirs.push(join(getPackageRoot(), 'loadtests', 'scenarios'));
  } catch {
    // running from an unusual layout: only the project's scenarios
  }
  return [...new Set(dirs)];
}

/** Lists scenario names available to `load run <name>`. */
export function listScenarios(cwd = process.cwd()): string[] {
  const names = new Set<string>();
  for (const dir of getScenarioDirs(cwd)) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      if (/\.(ts|js|mjs)$/.test(file) && !file.includes('.test.') && !file.endsWith('.d.ts'))
        names.add(file.replace(/\.(ts|js|mjs)$/, ''));
    }
  }
  return [...names].sort();
}

export function resolveScenarioPath(scenario: string, cwd = process.cwd()): string {
  const direct = resolve(cwd, scenario);
  if (/[/\\]|\.(ts|js|mjs)$/.test(scenario)) {
    if (existsSync(direct)) return direct;
    throw new PreflightError('E_USAGE', `Scenario file ${scenario} does not exist`);
  }
  for (const dir of getScenarioDirs(cwd)) {
    for (const ext of ['.ts', '.js', '.mjs']) {
      const candidate = join(dir, `${scenario}${ext}`);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new PreflightError('E_USAGE', `Unknown scenario "${scenario}"`, {
    hint: `use a path to a script or one of: ${listScenarios(cwd).join(', ') || '(none found)'}`,
  });
}
