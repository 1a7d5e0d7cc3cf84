/** `preflight wal ...` as a real subprocess (dist/: run `npm run build` first): commands, list, prune, usage errors. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { createAgeKeys } from '../fixtures/support.js';
import { createFileStorage } from '../storage/file.js';
import { pushWal } from './archive.js';
import { formatSegmentName } from './names.js';

describe('preflight wal (CLI)', () => {
  let dir: string;
  let storageUrl: string;
  let env: NodeJS.ProcessEnv;
  let identity: string;
  const wal = (args: string[]) => runCli(['wal', ...args], { cwd: dir, env });

  beforeAll(async () => {
    dir = makeTempDir('wal-cli-');
    const keys = await createAgeKeys();
    identity = keys.identity;
    writeFileSync(
      join(dir, 'preflight.yaml'),
      JSON.stringify({ backups: { ageRecipients: [keys.recipient] } }),
    );
    env = { PREFLIGHT_HOME: join(dir, 'home'), PREFLIGHT_AGE_IDENTITY: '' };
    storageUrl = pathToFileURL(join(dir, 'storage')).href;
    const storage = createFileStorage(join(dir, 'storage'));
    mkdirSync(join(dir, 'pg_wal'));
    for (const n of [1n, 2n, 3n]) {
      const path = join(dir, 'pg_wal', formatSegmentName(1, n));
      writeFileSync(path, randomBytes(1024));
      await pushWal({ storage, target: 'cli', filePath: path, recipients: [keys.recipient] });
    }
  });

  it('prints archive_command and restore_command with absolute paths', async () => {
    const push = await wal(['command', 'push', '--target', 'cli', '--storage', 'store', '--async', '--json']);
    expect(push.code, push.stderr).toBe(0);
    const json = JSON.parse(push.stdout) as { setting: string; command: string };
    expect(json.setting).toBe('archive_command');
    expect(json.command).toContain("bin/preflight-wal.js' push %p --target 'cli' --storage '/");
    expect(json.command).toContain(`--spool-dir '${join(dir, 'home', 'wal-spool', 'cli')}'`);
    const fetch = await wal(['command', 'fetch', '--target', 'cli']);
    expect(fetch.stdout).toMatch(
      /^restore_command = '''\/.+node'' ''\/.+preflight-wal\.js'' fetch %f %p --target ''cli'''\n$/,
    );
  });

  it('lists the archive and prunes it by plan, then --apply', async () => {
    const list = await wal(['list', '--target', 'cli', '--storage', storageUrl, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { files: unknown[] }).files).toHaveLength(3);
    const keep = formatSegmentName(1, 2n);
    const plan = await wal(['prune', '--target', 'cli', '--storage', storageUrl, '--keep-from', keep]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`delete ${formatSegmentName(1, 1n)}`);
    expect(plan.stdout).toContain('Nothing deleted: run again with --apply.');
    const applied = await wal([
      'prune',
      '--target',
      'cli',
      '--storage',
      storageUrl,
      '--keep-from',
      keep,
      '--apply',
      '--json',
    ]);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true, deleted: 1 });
    const after = await wal(['list', '--target', 'cli', '--storage', storageUrl, '--json']);
    expect(
      (JSON.parse(after.stdout) as { files: Array<{ fileName: string }> }).files.map((f) => f.fileName),
    ).toEqual([formatSegmentName(1, 2n), formatSegmentName(1, 3n)]);
  });

  it('names the bad input: a WAL name, a --keep-from, a missing identity', async () => {
    const badName = await wal([
      'fetch',
      'not-a-segment',
      join(dir, 'x'),
      '--target',
      'cli',
      '--storage',
      storageUrl,
    ]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('"not-a-segment" is not a WAL file name');
    const badKeep = await wal([
      'prune',
      '--target',
      'cli',
      '--storage',
      storageUrl,
      '--keep-from',
      '0/3000000',
    ]);
    expect(badKeep.code).toBe(2);
    expect(badKeep.stderr).toContain('--keep-from "0/3000000"');
    const noKey = await wal(['verify', '--target', 'cli', '--storage', storageUrl]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('E_DECRYPT');
    expect(noKey.stderr).toContain('PREFLIGHT_AGE_IDENTITY');
  });

  it('verify of a target with nothing archived exits 1 naming what to check (no evidence is no pass)', async () => {
    const keyed = { ...env, PREFLIGHT_AGE_IDENTITY: identity };
    const empty = await runCli(['wal', 'verify', '--target', 'nothing', '--storage', storageUrl, '--json'], {
      cwd: dir,
      env: keyed,
    });
    expect(empty.code, empty.stderr).toBe(1);
    expect(JSON.parse(empty.stdout)).toMatchObject({ ok: false, empty: true, checked: 0 });
    const full = await runCli(['wal', 'verify', '--target', 'cli', '--storage', storageUrl], {
      cwd: dir,
      env: keyed,
    });
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toContain('OK (2 files checked)'); // segment 1 was pruned above
  });
});
