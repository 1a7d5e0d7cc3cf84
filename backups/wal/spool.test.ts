/** The spool's answer to `wal push --async`: only a marker matching the very file says "stored". */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { createFileStorage } from '../storage/file.js';
import { runArchiver } from './archiver.js';
import { buildWalCommand } from './command.js';
import {
  ARCHIVED_DIR,
  answerPushFromSpool,
  formatPidFile,
  getFileIdentity,
  getMarkerPath,
  getProcessStartTime,
  getRunningArchiverPid,
  PID_FILE,
  writeMarker,
} from './spool.js';

describe('archiver spool', () => {
  let dir: string;
  let spool: string;
  let wal: string;
  const name = '000000010000000000000007';

  beforeAll(() => {
    dir = makeTempDir('wal-spool-');
    spool = join(dir, 'spool');
    mkdirSync(join(spool, ARCHIVED_DIR), { recursive: true });
    mkdirSync(join(dir, 'pg_wal'));
    wal = join(dir, 'pg_wal', name);
    writeFileSync(wal, 'segment');
  });

  const args = () => ['push', wal, '--async', '--spool-dir', spool];
  const mark = () => {
    writeMarker(spool, name, getFileIdentity(wal) as string);
  };

  it('answers from a matching marker once, and removes it', async () => {
    mark();
    expect(await answerPushFromSpool(args(), 0)).toBe(true);
    expect(await answerPushFromSpool(args(), 0)).toBe(false);
  });

  it('does not answer for a recycled file (other mtime), without --async, or with no archiver running', async () => {
    mark();
    utimesSync(wal, new Date(), new Date(Date.now() + 5_000));
    expect(await answerPushFromSpool(args(), 0)).toBe(false);
    mark();
    expect(await answerPushFromSpool(['push', wal, '--spool-dir', spool], 0)).toBe(false);
    // no pid file: no waiting, even with a long wait allowed
    expect(
      await answerPushFromSpool(
        ['push', join(dir, 'pg_wal', '000000010000000000000008'), '--async', `--spool-dir=${spool}`],
        60_000,
      ),
    ).toBe(false);
  });

  it('waits for a running archiver to store the file', async () => {
    writeFileSync(join(spool, PID_FILE), `${process.pid}\n`);
    const other = join(dir, 'pg_wal', '000000010000000000000009');
    writeFileSync(other, 'later');
    const answer = answerPushFromSpool(['push', other, '--async', '--spool-dir', spool], 60_000);
    setTimeout(() => {
      writeMarker(spool, '000000010000000000000009', getFileIdentity(other) as string);
    }, 100);
    expect(await answer).toBe(true);
    expect(() => statSync(getMarkerPath(spool, '000000010000000000000009'))).toThrow();
  });
});

describe('archiver liveness: pid and start time', () => {
  let spool: string;
  let dir: string;

  beforeAll(() => {
    dir = makeTempDir('wal-liveness-');
    spool = join(dir, 'spool');
    mkdirSync(join(spool, ARCHIVED_DIR), { recursive: true });
  });

  // a live pid (this process's parent) recorded with another start time: an archiver that crashed, its pid reused
  const writeReusedPid = () => {
    const started = Number(getProcessStartTime(process.ppid));
    expect(Number.isInteger(started)).toBe(true);
    writeFileSync(join(spool, PID_FILE), `${process.ppid} ${started + 1}\n`);
  };

  it('names a live archiver by pid and start time, and not a reused pid', () => {
    writeFileSync(join(spool, PID_FILE), formatPidFile(process.pid));
    expect(getRunningArchiverPid(spool)).toBe(process.pid);
    writeReusedPid();
    expect(getRunningArchiverPid(spool)).toBeUndefined();
  });

  it('push --async does not wait on a reused pid', async () => {
    writeReusedPid();
    const wal = join(dir, '000000010000000000000011');
    writeFileSync(wal, 'not stored');
    // a wait of 10 minutes allowed: the test times out unless the stale pid is recognised at once
    expect(await answerPushFromSpool(['push', wal, '--async', '--spool-dir', spool], 600_000)).toBe(false);
  }, 20_000);

  it('a new archiver starts over a reused pid, records itself and removes its pid file when it stops', async () => {
    writeReusedPid();
    const pgdata = join(dir, 'pgdata');
    mkdirSync(join(pgdata, 'pg_wal', 'archive_status'), { recursive: true });
    const stop = new AbortController();
    let seen: number | undefined;
    const running = runArchiver({
      storage: createFileStorage(join(dir, 'store')),
      target: 't',
      pgdata,
      spoolDir: spool,
      recipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
      pollMs: 20,
      signal: stop.signal,
      log: () => {
        seen = getRunningArchiverPid(spool);
        stop.abort();
      },
    });
    await running;
    expect(seen).toBe(process.pid);
    expect(existsSync(join(spool, PID_FILE))).toBe(false);
  }, 30_000);
});

describe('archive_command of push --async: the shell answers from the marker', () => {
  // PostgreSQL's substitution of %p, %f and %%
  const expand = (command: string, walPath: string) =>
    command.replace(/%([pf%])/g, (_, c: string) =>
      c === 'p' ? walPath : c === 'f' ? (walPath.split('/').pop() as string) : '%',
    );

  it('exits 0 and removes a matching marker; anything else runs the node command (here /bin/false)', () => {
    const dir = makeTempDir('wal-shell-');
    const spool = join(dir, "spool's dir");
    mkdirSync(join(spool, ARCHIVED_DIR), { recursive: true });
    mkdirSync(join(dir, 'pg_wal'));
    const name = '00000001000000000000000A';
    const walPath = join('pg_wal', name);
    writeFileSync(join(dir, walPath), 'segment');
    const command = expand(
      buildWalCommand('push', { target: 't', async: true, spoolDir: spool, nodePath: '/bin/false' }),
      walPath,
    );
    const sh = () => spawnSync('/bin/sh', ['-c', command], { cwd: dir }).status;
    // no marker
    expect(sh()).toBe(1);
    writeMarker(spool, name, getFileIdentity(join(dir, walPath)) as string);
    expect(sh()).toBe(0);
    expect(existsSync(getMarkerPath(spool, name))).toBe(false);
    // a marker of an earlier file under the same name (recycled: other mtime)
    writeMarker(spool, name, getFileIdentity(join(dir, walPath)) as string);
    utimesSync(join(dir, walPath), new Date(), new Date(Date.now() + 5_000));
    expect(sh()).toBe(1);
    expect(existsSync(getMarkerPath(spool, name))).toBe(true);
    // an empty marker, and a missing WAL file, never pass
    writeFileSync(getMarkerPath(spool, name), '');
    expect(sh()).toBe(1);
    writeMarker(spool, name, getFileIdentity(join(dir, walPath)) as string);
    rmSync(join(dir, walPath));
    expect(sh()).toBe(1);
  });

  it('waits for the marker while the archiver named by the pid file runs, not for a reused pid', async () => {
    const dir = makeTempDir('wal-shell-wait-');
    const spool = join(dir, 'spool');
    mkdirSync(join(spool, ARCHIVED_DIR), { recursive: true });
    mkdirSync(join(dir, 'pg_wal'));
    const name = '00000001000000000000000B';
    const walPath = join('pg_wal', name);
    writeFileSync(join(dir, walPath), 'segment');
    const command = expand(
      buildWalCommand('push', { target: 't', async: true, spoolDir: spool, nodePath: '/bin/false' }),
      walPath,
    );
    const shLater = (markAfterMs: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn('/bin/sh', ['-c', command], { cwd: dir, stdio: 'ignore' });
        const timer = setTimeout(
          () => writeMarker(spool, name, getFileIdentity(join(dir, walPath)) as string),
          markAfterMs,
        );
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    // the archiver (this process, with its start time) runs: the shell waits and answers 0 itself
    writeFileSync(join(spool, PID_FILE), formatPidFile(process.pid));
    expect(await shLater(300)).toBe(0);
    expect(existsSync(getMarkerPath(spool, name))).toBe(false);
    // a live pid with another start time: a crashed archiver's pid reused; no waiting, the node command runs
    const started = Number(getProcessStartTime(process.ppid));
    writeFileSync(join(spool, PID_FILE), `${process.ppid} ${started + 1}\n`);
    expect(await shLater(2_000)).toBe(1);
    rmSync(getMarkerPath(spool, name), { force: true });
  }, 30_000);
});
