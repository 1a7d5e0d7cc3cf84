/**
 * The WAL archive's objects on real storages (a directory and a real s3rver subprocess): round trip, idempotent and
 * conflicting pushes, missing, damaged and wrongly keyed files, verify's gaps and mismatches, and the prune plan.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import {
  createAgeKeys,
  expectFailure,
  makeConfig,
  removeTempDirs,
  type S3rverProcess,
  s3Env,
  startS3rver,
} from '../fixtures/support.js';
import { createFileStorage } from '../storage/file.js';
import { type BackupStorage, openStorage } from '../storage/index.js';
import {
  applyWalPrune,
  buildWalCommand,
  fetchWal,
  getWalObjectKey,
  listWalArchive,
  planWalPrune,
  pushWal,
  verifyWalArchive,
} from './archive.js';
import { formatSegmentName } from './names.js';

const segmentSize = 1024 * 1024;

describe('WAL archive objects', () => {
  let keys: { identity: string; recipient: string };
  let otherKeys: { identity: string; recipient: string };
  let s3: S3rverProcess;
  let dir: string;
  let walDir: string;
  const storages: Array<[string, () => BackupStorage]> = [];
  const opened: BackupStorage[] = [];

  beforeAll(async () => {
    [keys, otherKeys, s3] = await Promise.all([createAgeKeys(), createAgeKeys(), startS3rver('wal')]);
    dir = makeTempDir('wal-archive-');
    walDir = join(dir, 'pg_wal');
    mkdirSync(walDir);
    const config = makeConfig({ recipients: [keys.recipient], s3Endpoint: s3.endpoint });
    storages.push(
      ['file', () => createFileStorage(join(dir, 'storage'))],
      ['s3', () => openStorage('s3://wal/archive', config.backups, { env: s3Env() })],
    );
  }, 60_000);
  afterAll(async () => {
    for (const storage of opened) await storage.close();
    await s3?.stop();
    removeTempDirs();
  });

  const open = (make: () => BackupStorage) => {
    const storage = make();
    opened.push(storage);
    return storage;
  };
  const writeWal = (name: string, content: Buffer = randomBytes(segmentSize)) => {
    const path = join(walDir, name);
    writeFileSync(path, content);
    return path;
  };

  for (const kind of ['file', 's3'] as const) {
    describe(`on ${kind} storage`, () => {
      const target = `t-${kind}`;
      let storage: BackupStorage;
      beforeAll(() => {
        storage = open((storages.find(([k]) => k === kind) as [string, () => BackupStorage])[1]);
      });

      it('stores a segment encrypted and fetches the same bytes back; a second push of it is already-archived', async () => {
        const name = formatSegmentName(1, 3n);
        const content = Buffer.concat([randomBytes(1000), Buffer.alloc(segmentSize - 1000)]);
        const path = writeWal(name, content);
        const first = await pushWal({ storage, target, filePath: path, recipients: [keys.recipient] });
        expect(first.outcome).toBe('stored');
        expect(first.key).toBe(`${target}/wal/00000001/${name}.age`);
        // compressed (the zero tail) and not the plain bytes
        const stored = await storage.getBytes(first.key);
        expect(stored.length).toBeLessThan(segmentSize / 2);
        expect(stored.includes(content.subarray(0, 64))).toBe(false);
        const again = await pushWal({ storage, target, filePath: path, recipients: [keys.recipient] });
        expect(again.outcome).toBe('already-archived');
        const dest = join(dir, `fetched-${kind}`);
        expect(
          await fetchWal({ storage, target, fileName: name, destPath: dest, identities: [keys.identity] }),
        ).toBe('fetched');
        expect(readFileSync(dest).equals(content)).toBe(true);
      });

      it('refuses different content under an archived name and keeps the stored one', async () => {
        const name = formatSegmentName(1, 4n);
        const original = randomBytes(segmentSize);
        await pushWal({ storage, target, filePath: writeWal(name, original), recipients: [keys.recipient] });
        const error = await expectFailure(
          pushWal({ storage, target, filePath: writeWal(name), recipients: [keys.recipient] }),
        );
        expect(error.code).toBe('E_WAL');
        expect(error.message).toContain(name);
        expect(error.message).toContain('different content');
        const dest = join(dir, `kept-${kind}`);
        await fetchWal({ storage, target, fileName: name, destPath: dest, identities: [keys.identity] });
        expect(readFileSync(dest).equals(original)).toBe(true);
      });

      it('reports a missing file as missing, a damaged one as E_WAL_INTEGRITY and a wrong key as E_DECRYPT', async () => {
        const dest = join(dir, `other-${kind}`);
        expect(
          await fetchWal({
            storage,
            target,
            fileName: formatSegmentName(1, 99n),
            destPath: dest,
            identities: [keys.identity],
          }),
        ).toBe('missing');
        const name = formatSegmentName(1, 5n);
        await pushWal({ storage, target, filePath: writeWal(name), recipients: [keys.recipient] });
        const wrongKey = await expectFailure(
          fetchWal({ storage, target, fileName: name, destPath: dest, identities: [otherKeys.identity] }),
        );
        expect(wrongKey.code).toBe('E_DECRYPT');
        const key = getWalObjectKey(target, name);
        const body = await storage.getBytes(key);
        body[body.length - 100] = (body[body.length - 100] as number) ^ 0xff;
        await storage.putBytes(key, body);
        const damaged = await expectFailure(
          fetchWal({ storage, target, fileName: name, destPath: dest, identities: [keys.identity] }),
        );
        expect(damaged.code).toBe('E_WAL_INTEGRITY');
        expect(damaged.message).toContain(name);
      });
    });
  }

  it('checks the plain sha256 after decrypting: a re-encrypted object with other content fails the checksum', async () => {
    const storage = open(() => createFileStorage(join(dir, 'swap')));
    const target = 'swap';
    const a = formatSegmentName(1, 1n);
    const b = formatSegmentName(1, 2n);
    await pushWal({ storage, target, filePath: writeWal(a), recipients: [keys.recipient] });
    await pushWal({ storage, target, filePath: writeWal(b), recipients: [keys.recipient] });
    // b's header with a's (validly encrypted) payload: age is happy, the checksum is not
    const bodyA = await storage.getBytes(getWalObjectKey(target, a));
    const bodyB = await storage.getBytes(getWalObjectKey(target, b));
    const headerB = bodyB.subarray(0, bodyB.indexOf(0x0a) + 1);
    await storage.putBytes(
      getWalObjectKey(target, b),
      Buffer.concat([headerB, bodyA.subarray(bodyA.indexOf(0x0a) + 1)]),
    );
    const error = await expectFailure(
      fetchWal({ storage, target, fileName: b, destPath: join(dir, 'swapped'), identities: [keys.identity] }),
    );
    expect(error.code).toBe('E_WAL_INTEGRITY');
    expect(error.message).toContain('checksum');
  });

  it('verify finds a removed segment (gap) and a damaged one, and passes a clean archive', async () => {
    const storage = open(() => createFileStorage(join(dir, 'verify')));
    const target = 'v';
    for (let n = 1n; n <= 6n; n++)
      await pushWal({
        storage,
        target,
        filePath: writeWal(formatSegmentName(1, n, segmentSize), randomBytes(segmentSize)),
        recipients: [keys.recipient],
      });
    await pushWal({
      storage,
      target,
      filePath: writeWal('00000002.history', Buffer.from('1\t0/5000000\tno recovery target\n')),
      recipients: [keys.recipient],
    });
    await pushWal({
      storage,
      target,
      filePath: writeWal(formatSegmentName(2, 5n, segmentSize)),
      recipients: [keys.recipient],
    });
    const clean = await verifyWalArchive({ storage, target, identities: [keys.identity] });
    expect(clean).toMatchObject({ ok: true, gaps: [], mismatches: [], checked: 8, segmentSize });
    expect(clean.timelines.map((t) => [t.timeline, t.segments, t.history])).toEqual([
      [1, 6, false],
      [2, 1, true],
    ]);

    // a key that opens nothing is a wrong key, not a damaged archive
    await expect(
      verifyWalArchive({ storage, target, identities: [otherKeys.identity] }),
    ).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });

    const removed = formatSegmentName(1, 3n, segmentSize);
    await storage.deleteKeys([getWalObjectKey(target, removed)]);
    const damaged = formatSegmentName(1, 5n, segmentSize);
    const key = getWalObjectKey(target, damaged);
    const body = await storage.getBytes(key);
    body[200] = (body[200] as number) ^ 0x01;
    await storage.putBytes(key, body);
    const result = await verifyWalArchive({ storage, target, identities: [keys.identity] });
    expect(result.ok).toBe(false);
    expect(result.gaps).toEqual([
      { timeline: 1, after: formatSegmentName(1, 2n, segmentSize), missing: [removed] },
    ]);
    expect(result.mismatches).toEqual([damaged]);
  });

  it('prune keeps what each base backup needs (its timeline from its start, later timelines, history) and nothing older', async () => {
    const storage = open(() => createFileStorage(join(dir, 'prune')));
    const target = 'p';
    const names = [
      formatSegmentName(1, 1n),
      formatSegmentName(1, 2n),
      `${formatSegmentName(1, 2n)}.00000028.backup`,
      formatSegmentName(1, 3n),
      formatSegmentName(1, 4n),
      '00000002.history',
      formatSegmentName(2, 4n),
      formatSegmentName(2, 5n),
    ];
    for (const name of names)
      await pushWal({
        storage,
        target,
        filePath: writeWal(name, randomBytes(64)),
        recipients: [keys.recipient],
      });
    const none = await planWalPrune({ storage, target, keepFrom: [] });
    expect(none.remove).toEqual([]);
    expect(none.note).toContain('nothing is pruned');

    const plan = await planWalPrune({
      storage,
      target,
      keepFrom: [{ timeline: 1, segment: formatSegmentName(1, 3n) }],
    });
    expect(plan.remove.map((i) => i.entry.fileName)).toEqual(names.slice(0, 3));
    expect(plan.keep.map((i) => i.entry.fileName).sort()).toEqual(names.slice(3).sort());
    expect(plan.remove[0]?.reason).toContain('older than every retained base backup');
    expect(await listWalArchive({ storage, target })).toHaveLength(names.length);
    expect(await applyWalPrune(storage, plan)).toEqual({ deleted: 3 });
    expect((await listWalArchive({ storage, target })).map((e) => e.fileName).sort()).toEqual(
      names.slice(3).sort(),
    );

    const later = await planWalPrune({
      storage,
      target,
      keepFrom: [{ timeline: 2, segment: formatSegmentName(2, 5n) }],
    });
    expect(later.remove.map((i) => i.entry.fileName)).toEqual([
      formatSegmentName(1, 3n),
      formatSegmentName(1, 4n),
      formatSegmentName(2, 4n),
    ]);
  });

  it('builds archive and restore commands with absolute paths, placeholders and quoting', () => {
    const push = buildWalCommand('push', {
      target: "it's",
      configPath: 'conf/preflight.yaml',
      storage: 's3://b/p%20x',
      async: true,
      spoolDir: '/var/spool/x',
    });
    // --async: a shell check answers from the archiver's spool marker first, then the node command
    expect(push).toMatch(/^f='\/var\/spool\/x\/archived\/'%f; /);
    expect(push).toContain("stat -c '%%s %%i %%.9Y' %p");
    expect(push).toMatch(
      /; '\/.+node' '\/.+\/bin\/preflight-wal\.js' push %p --target 'it'\\''s' --config '\/.+\/conf\/preflight\.yaml' --storage 's3:\/\/b\/p%%20x' --async --spool-dir '\/var\/spool\/x'$/,
    );
    const fetch = buildWalCommand('fetch', { target: 'prod', storage: 'relative/dir' });
    expect(fetch).toContain(" fetch %f %p --target 'prod' --storage '/");
    expect(fetch).toContain("/relative/dir'");
    expect(fetch).not.toContain('--async');
  });
});
