/**
 * Storage faults end cleanly and fast: E_STORAGE naming the URL and the OS or S3 error, never an unhandled stream
 * error, a failure metric, and nothing listed complete. Read-only and full filesystems are real mounts; S3 is a real
 * s3rver subprocess, except the refused delete, which comes from a small fake S3-speaking server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreflightError } from '../src/core/errors.js';
import { findPgClientTool } from '../src/core/pg/binaries.js';
import { readCatalog } from './catalog.js';
import {
  bulkSql,
  createAgeKeys,
  createSeededDatabase,
  expectFailure,
  fixturesDir,
  makeConfig,
  makeTempDir,
  mountTmpfs,
  readFailureCount,
  removeTempDirs,
  type S3rverProcess,
  type SeededDatabase,
  s3Env,
  startS3rver,
} from './fixtures/support.js';
import { applyPrune, planPrune } from './prune.js';
import { runBackup } from './run.js';
import { createFileStorage } from './storage/file.js';
import { type BackupStorage, openStorage } from './storage/index.js';

async function expectStorageError(promise: Promise<unknown>): Promise<PreflightError> {
  const error = await expectFailure(promise);
  expect(error.code).toBe('E_STORAGE');
  expect(error.exitCode).toBe(1);
  return error;
}

describe('storage faults', () => {
  let db: SeededDatabase;
  let keys: { identity: string; recipient: string };
  let dir: string;
  const mounts: string[] = [];

  beforeAll(async () => {
    [db, keys] = await Promise.all([createSeededDatabase('storage-faults', bulkSql), createAgeKeys()]);
    dir = makeTempDir('storage-faults');
  }, 180_000);
  afterAll(async () => {
    for (const mountPoint of mounts) execFileSync('umount', [mountPoint]);
    await db?.destroy();
    removeTempDirs();
  });

  const backupTo = (storage: BackupStorage, target: string, env: NodeJS.ProcessEnv = {}) =>
    runBackup({
      target,
      adminUrl: db.url,
      storage,
      recipients: [keys.recipient],
      compressLevel: 1,
      metrics: { textfileDir: join(dir, 'metrics') },
      env,
    });

  /** pg_dump replaced by a fixture that notes its start: the run must fail before it. */
  const pgDumpNoting = () => {
    const note = join(dir, `pg_dump-started-${Math.random().toString(36).slice(2)}`);
    return {
      note,
      env: {
        PREFLIGHT_PG_DUMP: join(fixturesDir, 'pg_dump-records-start.sh'),
        REAL_PG_DUMP: findPgClientTool('pg_dump')!,
        PG_DUMP_STARTED: note,
      },
    };
  };

  it('read-only storage whose backup directory exists: E_STORAGE naming EROFS and the URL, before pg_dump', async () => {
    const mountPoint = mountTmpfs('size=4m');
    mounts.push(mountPoint);
    mkdirSync(join(mountPoint, 'ro', 'base'), { recursive: true });
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    const storage = createFileStorage(mountPoint);
    const { note, env } = pgDumpNoting();
    const error = await expectStorageError(backupTo(storage, 'ro', env));
    expect(error.message).toMatch(/EROFS \(read-only file system\)/);
    expect(error.message).toContain(`file://${mountPoint}/ro/`);
    expect(existsSync(note)).toBe(false);
    expect(readFailureCount(join(dir, 'metrics'), 'ro')).toBe(1);
    expect((await readCatalog(storage, 'ro')).filter((e) => e.complete)).toEqual([]);
  });

  it('a stream into read-only storage ends in E_STORAGE, not an unhandled stream error', async () => {
    const mountPoint = mountTmpfs('size=1m,ro');
    mounts.push(mountPoint);
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, i);
      })(),
    );
    const error = await expectStorageError(
      createFileStorage(mountPoint).putStream('t/base/x/dump.age', body),
    );
    expect(error.message).toMatch(/EROFS/);
    expect(body.destroyed).toBe(true);
  });

  it('read-only storage without the directory: E_STORAGE naming EROFS (not "not found")', async () => {
    const mountPoint = mountTmpfs('size=1m,ro');
    mounts.push(mountPoint);
    const storage = createFileStorage(join(mountPoint, 'missing'));
    const error = await expectStorageError(backupTo(storage, 'romissing'));
    expect(error.message).toMatch(/EROFS \(read-only file system\)/);
    expect(error.message).toContain(`file://${mountPoint}/missing/romissing/`);
    expect(readFailureCount(join(dir, 'metrics'), 'romissing')).toBe(1);
  });

  it('a 2 MiB tmpfs filling up during the dump: E_STORAGE naming ENOSPC, no partial file, nothing complete', async () => {
    const mountPoint = mountTmpfs('size=2m');
    mounts.push(mountPoint);
    const storage = createFileStorage(mountPoint);
    const error = await expectStorageError(backupTo(storage, 'full'));
    expect(error.message).toMatch(/ENOSPC \(no space left on device\)/);
    expect(error.message).toContain(`file://${mountPoint}/full/base/`);
    expect(readFailureCount(join(dir, 'metrics'), 'full')).toBe(1);
    expect(await storage.list('')).toEqual([]);
  });

  describe('S3', () => {
    let s3: S3rverProcess;
    beforeAll(async () => {
      s3 = await startS3rver();
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('wrong credentials: E_STORAGE naming the S3 error, before pg_dump starts', async () => {
      const storage = openStorage(
        `s3://${s3.bucket}/prefix`,
        makeConfig({ recipients: [keys.recipient], s3Endpoint: s3.endpoint }).backups,
        { env: { AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' } },
      );
      const { note, env } = pgDumpNoting();
      try {
        const error = await expectStorageError(backupTo(storage, 's3creds', env));
        expect(error.message).toMatch(
          /S3 upload to s3:\/\/backups\/prefix\/s3creds\/\.preflight-probe-\w+ failed \(InvalidAccessKeyId/,
        );
        expect(error.message).not.toContain('WRONG');
        expect(existsSync(note)).toBe(false);
      } finally {
        await storage.close();
      }
    });

    it('a missing bucket: E_STORAGE naming NoSuchBucket, before pg_dump starts', async () => {
      const storage = openStorage(
        's3://no-such-bucket/prefix',
        makeConfig({ recipients: [keys.recipient], s3Endpoint: s3.endpoint }).backups,
        { env: s3Env() },
      );
      const { note, env } = pgDumpNoting();
      try {
        const error = await expectStorageError(backupTo(storage, 's3nobucket', env));
        expect(error.message).toMatch(
          /S3 upload to s3:\/\/no-such-bucket\/prefix\/s3nobucket\/\.preflight-probe-\w+ failed \(NoSuchBucket/,
        );
        expect(existsSync(note)).toBe(false);
      } finally {
        await storage.close();
      }
    });

    it('stopped for good during the upload: fails within backups.storageTimeout plus 10 %, nothing complete', async () => {
      const timeoutSeconds = 15;
      const storage = openStorage(
        `s3://${s3.bucket}/prefix`,
        makeConfig({
          recipients: [keys.recipient],
          s3Endpoint: s3.endpoint,
          // more attempts than the deadline allows: the deadline, not the attempts, ends the run
          retry: { attempts: 50, baseDelayMs: 250, maxDelayMs: 2000 },
          storageTimeout: timeoutSeconds,
        }).backups,
        { env: s3Env(), partSize: 5 * 1024 * 1024 },
      );
      let stoppedAt = 0;
      let stopped: Promise<void> | undefined;
      try {
        const error = await expectStorageError(
          runBackup({
            target: 's3down',
            adminUrl: db.url,
            storage,
            recipients: [keys.recipient],
            compressLevel: 1,
            metrics: { textfileDir: join(dir, 'metrics') },
            onUploadProgress: (bytes) => {
              if (stopped || bytes <= 0) return;
              stoppedAt = Date.now();
              stopped = s3.stop();
            },
          }),
        );
        const elapsedMs = Date.now() - stoppedAt;
        await stopped;
        expect(stoppedAt).toBeGreaterThan(0);
        expect(error.message).toMatch(
          /S3 upload to s3:\/\/backups\/prefix\/s3down\/base\/.*\/dump\.age failed/,
        );
        expect(elapsedMs).toBeLessThanOrEqual(timeoutSeconds * 1000 * 1.1);
        expect(readFailureCount(join(dir, 'metrics'), 's3down')).toBe(1);
        await s3.start();
        expect((await readCatalog(storage, 's3down')).filter((e) => e.complete)).toEqual([]);
      } finally {
        await storage.close();
      }
    }, 120_000);
  });

  describe('a DeleteObjects answer that refuses a key (a fake S3 server: s3rver cannot refuse one)', () => {
    let server: Server;
    let endpoint: string;
    const refusedKey = 'prefix/t/base/20200101T000000Z-aaaaaa/dump.age';
    const deletedKey = 'prefix/t/base/20200102T000000Z-bbbbbb/dump.age';
    beforeAll(async () => {
      server = createServer((request, response) => {
        const url = new URL(request.url ?? '/', 'http://fake');
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        response.setHeader('content-type', 'application/xml');
        if (request.method === 'GET' && url.searchParams.get('list-type') === '2') {
          const contents = [refusedKey, deletedKey]
            .map(
              (key) =>
                `<Contents><Key>${key}</Key><Size>10</Size><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>`,
            )
            .join('');
          response.end(
            `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name><Prefix>${url.searchParams.get('prefix')}</Prefix><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
          );
          return;
        }
        if (request.method === 'POST' && url.searchParams.has('delete')) {
          // every key asked for is deleted, except refusedKey
          request.on('end', () => {
            const asked = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
            const results = asked
              .map((key) =>
                key === refusedKey
                  ? `<Error><Key>${key}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
                  : `<Deleted><Key>${key}</Key></Deleted>`,
              )
              .join('');
            response.end(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult>${results}</DeleteResult>`);
          });
          return;
        }
        request.resume();
        response.statusCode = 501;
        response.end('<Error><Code>NotImplemented</Code></Error>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('prune --apply reports every refused key: E_STORAGE, exit code 1', async () => {
      const storage = openStorage(
        's3://backups/prefix',
        makeConfig({ recipients: [keys.recipient], s3Endpoint: endpoint }).backups,
        { env: s3Env() },
      );
      try {
        const plan = planPrune(await readCatalog(storage, 't'), { daily: 1, weekly: 0, monthly: 0 });
        expect(plan.decisions.map((d) => d.action)).toEqual(['delete', 'delete']);
        const error = await expectStorageError(applyPrune(storage, plan));
        expect(error.message).toContain(
          's3://backups/prefix/t/base/20200101T000000Z-aaaaaa/dump.age (AccessDenied: Access Denied)',
        );
        expect(error.message).not.toContain('bbbbbb/dump.age (');
        expect(error.details).toMatchObject({
          deleted: ['20200102T000000Z-bbbbbb'],
          failed: ['20200101T000000Z-aaaaaa'],
          refused: [{ key: 't/base/20200101T000000Z-aaaaaa/dump.age', code: 'AccessDenied' }],
        });
      } finally {
        await storage.close();
      }
    });
  });
});
