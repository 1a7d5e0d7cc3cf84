/**
 * `wal fetch --async` through bin/preflight-wal.js (dist/: run `npm run build` first), file storage: the segments
 * after the requested one are fetched ahead, the next fetch takes one from the spool; a damaged or missing segment
 * ends exactly as without --async; the prefetcher cleans up once recovery ended.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { createAgeKeys } from '../fixtures/support.js';
import { createFileStorage } from '../storage/file.js';
import { buildWalCommand, getWalObjectKey, pushWal } from './archive.js';
import { formatSegmentName } from './names.js';
import { PREFETCH_STOPPED_FILE } from './prefetch.js';
import { DEFAULT_PREFETCH_DIR, FETCHED_DIR, getRunningPid, PREFETCH_PID_FILE } from './spool.js';

const entry = join(repoRoot, 'bin', 'preflight-wal.js');

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('wal fetch --async (prefetch)', () => {
  let dir: string;
  let pgdata: string;
  let env: NodeJS.ProcessEnv;
  let common: string[];
  const plain = new Map<string, Buffer>();
  const seg = (n: bigint) => formatSegmentName(1, n);
  const spool = () => join(pgdata, 'pg_wal', DEFAULT_PREFETCH_DIR);
  const spooled = () => {
    try {
      return readdirSync(join(spool(), FETCHED_DIR)).filter((n) => !n.endsWith('.partial'));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dir = makeTempDir('wal-prefetch-');
    const keys = await createAgeKeys();
    writeFileSync(
      join(dir, 'preflight.yaml'),
      JSON.stringify({ backups: { ageRecipients: [keys.recipient] } }),
    );
    env = { PREFLIGHT_HOME: join(dir, 'home'), PREFLIGHT_AGE_IDENTITY: keys.identity };
    const storage = createFileStorage(join(dir, 'storage'));
    mkdirSync(join(dir, 'src'));
    for (let n = 1n; n <= 12n; n++) {
      const path = join(dir, 'src', seg(n));
      const bytes = randomBytes(64 * 1024);
      plain.set(seg(n), bytes);
      writeFileSync(path, bytes);
      await pushWal({ storage, target: 'pf', filePath: path, recipients: [keys.recipient] });
    }
    // segment 10 damaged in the archive (one byte of the ciphertext flipped)
    const damaged = join(dir, 'storage', getWalObjectKey('pf', seg(10n)));
    const body = readFileSync(damaged);
    body[body.length - 20] = (body[body.length - 20] as number) ^ 0xff;
    writeFileSync(damaged, body);
    pgdata = join(dir, 'pgdata');
    mkdirSync(join(pgdata, 'pg_wal'), { recursive: true });
    writeFileSync(join(pgdata, 'recovery.signal'), '');
    common = [
      '--target',
      'pf',
      '--config',
      join(dir, 'preflight.yaml'),
      '--storage',
      pathToFileURL(join(dir, 'storage')).href,
      '--async',
      '--prefetch',
      '4',
    ];
  });

  afterAll(async () => {
    // recovery over: a running prefetcher removes its spool and ends
    rmSync(join(pgdata, 'recovery.signal'), { force: true });
    await waitFor(() => !existsSync(spool()), 'the prefetcher to end').catch(() => undefined);
  });

  it('buildWalCommand adds --async (and --prefetch) to restore_command only when asked', () => {
    const plainCommand = buildWalCommand('fetch', { target: 'pf' });
    expect(plainCommand).not.toContain('--async');
    expect(buildWalCommand('fetch', { target: 'pf', async: true, prefetch: 4 })).toMatch(
      / fetch %f %p --target 'pf' --async --prefetch 4$/,
    );
  });

  it('fetches the next segments ahead; the next fetch takes its segment from the spool', async () => {
    const dest = join('pg_wal', 'RECOVERYXLOG');
    const first = await run(['fetch', seg(1n), dest, ...common], pgdata, env);
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(join(pgdata, dest)).equals(plain.get(seg(1n)) as Buffer)).toBe(true);
    // 4 ahead: 2..5
    await waitFor(() => spooled().length === 4, 'four spooled segments');
    expect(spooled().sort()).toEqual([seg(2n), seg(3n), seg(4n), seg(5n)]);
    for (const n of [2n, 3n, 4n]) {
      const next = await run(['fetch', seg(n), dest, ...common], pgdata, env);
      expect(next.code, next.stderr).toBe(0);
      // answered by the fast path: the full CLI prints nothing for a fetch, but the spooled file moved into place
      expect(readFileSync(join(pgdata, dest)).equals(plain.get(seg(n)) as Buffer)).toBe(true);
      expect(spooled()).not.toContain(seg(n));
    }
    // the prefetcher keeps the window filled up to the damaged segment (10), which it never spools
    for (const n of [5n, 6n, 7n, 8n, 9n]) {
      await waitFor(() => spooled().includes(seg(n)), `${seg(n)} spooled`);
      const next = await run(['fetch', seg(n), dest, ...common], pgdata, env);
      expect(next.code, next.stderr).toBe(0);
      expect(readFileSync(join(pgdata, dest)).equals(plain.get(seg(n)) as Buffer)).toBe(true);
    }
    const stopped = join(spool(), PREFETCH_STOPPED_FILE);
    await waitFor(() => existsSync(stopped) || spooled().includes(seg(10n)), 'the prefetcher to reach 10');
    expect(spooled()).not.toContain(seg(10n));
    expect(readFileSync(stopped, 'utf8')).toContain(`${seg(10n)}: WAL file ${seg(10n)} is damaged`);
  }, 120_000);

  it('a damaged segment fails with E_WAL_INTEGRITY and exit 1, a missing one exits 1, as without --async', async () => {
    const dest = join('pg_wal', 'RECOVERYXLOG');
    rmSync(join(pgdata, dest), { force: true });
    const damaged = await run(['fetch', seg(10n), dest, ...common], pgdata, env);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('E_WAL_INTEGRITY');
    expect(damaged.stderr).toContain(seg(10n));
    expect(existsSync(join(pgdata, dest))).toBe(false);
    const missing = await run(['fetch', seg(13n), dest, ...common], pgdata, env);
    expect(missing.code, missing.stderr).toBe(1);
    expect(existsSync(join(pgdata, dest))).toBe(false);
  }, 120_000);

  it('once recovery ended the prefetcher removes its spool and ends', async () => {
    expect(getRunningPid(spool(), PREFETCH_PID_FILE)).toBeDefined();
    rmSync(join(pgdata, 'recovery.signal'));
    await waitFor(() => !existsSync(spool()), 'the spool to go');
    writeFileSync(join(pgdata, 'recovery.signal'), '');
  }, 60_000);
});
