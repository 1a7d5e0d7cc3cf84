// `preflight restore` as a user types it (the built CLI as a subprocess): usage errors name the bad flag and the
// fix, exit 2, and nothing is created; restores themselves are tested in restore.test.ts and drill.test.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';

const dir = makeTempDir('preflight-restore-cli-');
const into = join(dir, 'restored');
const storage = `file://${join(dir, 'storage')}`;

describe('preflight restore (CLI subprocess)', () => {
  it.each([
    [[], 'Name exactly one recovery target'],
    [['--latest', '--to-time', '2026-01-01T00:00:00Z'], 'Name exactly one recovery target'],
    [['--to-time', 'yesterday'], 'Expected `--to-time` to be an ISO 8601 time, got `yesterday`'],
    [['--to-lsn', 'zz'], 'Expected `--to-lsn` to be an LSN like 0/3000028, got `zz`'],
  ])('refuses %j with E_USAGE (exit 2) naming it, before anything is created', async (args, message) => {
    const { code, stderr } = await runCli(['restore', '--into', into, '--storage', storage, ...args], {
      cwd: dir,
    });
    expect(stderr).toContain('error[E_USAGE]');
    expect(stderr).toContain(message);
    expect(stderr).toContain('hint:');
    expect(code).toBe(2);
    expect(existsSync(into)).toBe(false);
  });

  it('without an age identity it stops with E_DECRYPT naming the setting, before anything is restored', async () => {
    const { code, stderr } = await runCli(['restore', '--into', into, '--storage', storage, '--latest'], {
      cwd: dir,
      env: { PREFLIGHT_AGE_IDENTITY: '' },
    });
    expect(stderr).toContain('error[E_DECRYPT]');
    expect(stderr).toContain('backups.ageIdentityFile');
    expect(code).toBe(1);
    expect(existsSync(into)).toBe(false);
  });
});
