// The three floors and the no-cycle rule, as a test so CI fails on a violation (npm run lint runs the same script).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { checkRules, findCycles, getFloor } from '../scripts/check-layers.mjs';

type Check = (files: string[]) => string[];

describe('dependency rules (scripts/check-layers.mjs)', () => {
  it('the repository has no floor violation and no import cycle', async () => {
    const { execFileSync } = await import('node:child_process');
    const output = execFileSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8' });
    expect(output).toMatch(/floors and cycles ok/);
  });

  it('names the floors', () => {
    expect(getFloor('src/core/target.ts')).toBe('core');
    expect(getFloor('src/app/cli.ts')).toBe('app');
    expect(getFloor('src/sandbox/index.ts')).toBe('sandbox');
    expect(getFloor('infra/app.ts')).toBe('monitoring');
    expect(getFloor('loadtests/engine/run.ts')).toBe('loadtests');
  });

  it('finds a cycle of two modules and one of three', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['e']],
      ['e', ['c']],
      ['f', ['a']],
    ]);
    expect((findCycles(graph) as string[][]).map((c) => [...c].sort())).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
  });

  it('refuses core importing a capability, a capability importing another, and a capability importing the app', () => {
    // files laid out under the repository root (the checker resolves paths from there), removed afterwards
    const root = join(process.cwd(), 'src', 'core', `.layers-test-${process.pid}`);
    const capability = join(process.cwd(), 'backups', `.layers-test-${process.pid}`);
    mkdirSync(root, { recursive: true });
    mkdirSync(capability, { recursive: true });
    try {
      const coreFile = join(root, 'bad.ts');
      writeFileSync(coreFile, "import { x } from '../../../backups/run.js';\n");
      const capabilityFile = join(capability, 'bad.ts');
      writeFileSync(
        capabilityFile,
        "import { y } from '../../security/scan.js';\nimport { z } from '../../src/app/cli.js';\nimport type { T } from '../../src/core/errors.js';\n",
      );
      const violations = (checkRules as Check)([coreFile, capabilityFile]);
      expect(violations.some((v) => v.includes('core imports nothing outside src/core'))).toBe(true);
      expect(violations.some((v) => v.includes('never another capability'))).toBe(true);
      expect(violations.some((v) => v.includes('only the app imports the app'))).toBe(true);
      expect(violations.filter((v) => v.includes('core/errors'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(capability, { recursive: true, force: true });
    }
  });
});
