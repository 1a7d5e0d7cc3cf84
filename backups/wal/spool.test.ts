/** The spool's answer to `wal push --async`: only a marker matching the very file says "stored". */
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { ARCHIVED_DIR, answerPushFromSpool, getMarkerPath, PID_FILE, writeMarker } from './spool.js';

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
    const info = statSync(wal);
    writeMarker(spool, {
      fileName: name,
      size: info.size,
      mtimeMs: info.mtimeMs,
      ino: info.ino,
      storedAt: '',
    });
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
      const info = statSync(other);
      writeMarker(spool, {
        fileName: '000000010000000000000009',
        size: info.size,
        mtimeMs: info.mtimeMs,
        ino: info.ino,
        storedAt: '',
      });
    }, 100);
    expect(await answer).toBe(true);
    expect(() => statSync(getMarkerPath(spool, '000000010000000000000009'))).toThrow();
  });
});
