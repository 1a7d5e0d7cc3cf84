/** Fault injection: each fault ends with a clear error, a non-zero exit code, a failure metric and nothing listed as complete. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { runBackup } from './run.js';
import { createFileStorage } from './storage/file.js';
import { openStorage } from './storage/index.js';
import { verifyBackup } from './verify.js';

describe('backup faults', () => {
  let db: SeededDatabase;
  let keys: { identity: string; recipient: string };
  let dir: string;

  beforeAll(async () => {
    [db, keys] = await Promise.all([createSeededDatabase('faults', bulkSql), createAgeKeys()]);
    dir = makeTempDir('faults');
  });
  afterAll(async () => {
    await db?.destroy();
    removeTempDirs();
  });

  it('pg_dump killed half way (PREFLIGHT_PG_DUMP fixture): E_BACKUP, failure metric, nothing complete, partial removed', async () => {
    const storage = createFileStorage(join(dir, 'killed'));
    const metricsDir = join(dir, 'killed-metrics');
    const error = await expectFailure(
      runBackup({
        target: 'killed',
        adminUrl: db.url,
        storage,
        recipients: [keys.recipient],
        compressLevel: 6,
        metrics: { textfileDir: metricsDir },
        env: {
          PREFLIGHT_PG_DUMP: join(fixturesDir, 'pg_dump-dies-halfway.sh'),
          REAL_PG_DUMP: findPgClientTool('pg_dump'),
          DIE_AFTER_BYTES: String(2 * 1024 * 1024),
        },
      }),
    );
    expect(error.code).toBe('E_BACKUP');
    expect(error.message).toMatch(/pg_dump failed.*killed by SIGKILL/s);
    expect(readFailureCount(metricsDir, 'killed')).toBe(1);
    const catalog = await readCatalog(storage, 'killed');
    expect(catalog.filter((e) => e.complete)).toEqual([]);
    expect(catalog.flatMap((e) => e.objects)).toEqual([]);
  });

  describe('S3 (s3rver) stopped during a multipart upload', () => {
    let s3: S3rverProcess;
    beforeAll(async () => {
      s3 = await startS3rver();
    });
    afterAll(async () => {
      await s3?.stop();
    });

    let retries = 0;
    const openS3 = (attempts: number) =>
      openStorage(
        `s3://${s3.bucket}/prefix`,
        makeConfig({
          recipients: [keys.recipient],
          s3Endpoint: s3.endpoint,
          retry: { attempts, baseDelayMs: 250, maxDelayMs: 2000 },
        }).backups,
        { env: s3Env(), partSize: 5 * 1024 * 1024, onRetry: () => retries++ },
      );

    it('retries with backoff and completes when the server comes back', async () => {
      const storage = openS3(10);
      const metricsDir = join(dir, 's3-back-metrics');
      let interrupted = false;
      let restarted: Promise<void> | undefined;
      const result = await runBackup({
        target: 's3back',
        adminUrl: db.url,
        storage,
        recipients: [keys.recipient],
        compressLevel: 1,
        metrics: { textfileDir: metricsDir },
        onUploadProgress: (bytes) => {
          if (interrupted || bytes <= 0) return;
          interrupted = true;
          restarted = (async () => {
            await s3.stop();
            await new Promise((r) => setTimeout(r, 1500));
            await s3.start();
          })();
        },
      });
      await restarted;
      expect(interrupted).toBe(true);
      expect(retries).toBeGreaterThan(0);
      expect(result.manifest.objects[0]!.size).toBeGreaterThan(10 * 1024 * 1024);
      const catalog = await readCatalog(storage, 's3back');
      expect(catalog.map((e) => [e.id, e.complete])).toEqual([[result.id, true]]);
      const { record } = await verifyBackup({
        target: 's3back',
        storage,
        id: result.id,
        identity: keys.identity,
        workDir: join(dir, 's3-back-work'),
        restoreJobs: 2,
        metrics: { textfileDir: metricsDir },
        retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
      });
      expect(record.ok).toBe(true);
      await storage.close();
    }, 240_000);
  });

  describe('verify faults on a stored backup', () => {
    let storeDir: string;
    let id: string;
    const metricsDir = () => join(dir, 'verify-metrics');
    beforeAll(async () => {
      storeDir = join(dir, 'verify-store');
      const result = await runBackup({
        target: 'v',
        adminUrl: db.url,
        storage: createFileStorage(storeDir),
        recipients: [keys.recipient],
        compressLevel: 6,
        metrics: {},
      });
      id = result.id;
    }, 120_000);

    const verify = (overrides: Partial<Parameters<typeof verifyBackup>[0]> = {}) =>
      verifyBackup({
        target: 'v',
        storage: createFileStorage(storeDir),
        id,
        identity: keys.identity,
        workDir: join(dir, 'verify-work'),
        restoreJobs: 2,
        metrics: { textfileDir: metricsDir() },
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        ...overrides,
      });

    it('a wrong age identity fails with E_DECRYPT naming the recipients; the recorded verification is unchanged', async () => {
      const { record: passed } = await verify();
      expect(passed.ok).toBe(true);
      const before = readFailureCount(metricsDir(), 'v') ?? 0;
      const other = await createAgeKeys();
      const error = await expectFailure(
        verify({ identity: `# created: today\n# public key: ${other.recipient}\n${other.identity}\n` }),
      );
      expect(error.code).toBe('E_DECRYPT');
      expect(error.message).toContain(
        `matches none of the recipients this backup was encrypted to: ${keys.recipient}`,
      );
      expect(error.message).not.toContain(other.identity);
      expect(readFailureCount(metricsDir(), 'v')).toBe(before + 1);
      const [entry] = await readCatalog(createFileStorage(storeDir), 'v');
      expect(entry?.verification).toMatchObject({ ok: true, verifiedAt: passed.verifiedAt });
    });

    it('an identity given as a key file with comments (age-keygen) decrypts', async () => {
      const { record } = await verify({
        identity: `# created: 2026-11-30T00:00:00Z\n# public key: ${keys.recipient}\n\n${keys.identity}\n`,
      });
      expect(record.ok).toBe(true);
    });

    it('local disk full in the work directory (a 1 MiB tmpfs) fails with E_DISK_FULL', async () => {
      const mountPoint = mountTmpfs('size=1m');
      try {
        const before = readFailureCount(metricsDir(), 'v') ?? 0;
        const error = await expectFailure(verify({ workDir: mountPoint }));
        expect(error.code).toBe('E_DISK_FULL');
        expect(error.message).toContain(mountPoint);
        expect(readFailureCount(metricsDir(), 'v')).toBe(before + 1);
      } finally {
        execFileSync('umount', [mountPoint]);
      }
    });

    it('a restored table missing a row fails verify naming the table (PREFLIGHT_PG_RESTORE fixture)', async () => {
      const before = readFailureCount(metricsDir(), 'v') ?? 0;
      const { record } = await verify({
        env: {
          PREFLIGHT_PG_RESTORE: join(fixturesDir, 'pg_restore-drops-a-row.sh'),
          REAL_PG_RESTORE: findPgClientTool('pg_restore')!,
          REAL_PSQL: findPgClientTool('psql')!,
          DROP_ROW_TABLE: 'public.accounts',
        },
      });
      expect(record.ok).toBe(false);
      expect(record.tables.mismatched).toEqual([
        {
          schema: 'public',
          table: 'accounts',
          expected: expect.objectContaining({ rows: 504 }),
          actual: expect.objectContaining({ rows: 503 }),
        },
      ]);
      expect(readFailureCount(metricsDir(), 'v')).toBe(before + 1);
    });

    it('one flipped byte in the stored object fails verify naming the object (E_BACKUP_INTEGRITY)', async () => {
      const path = join(storeDir, 'v', 'base', id, 'dump.age');
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      writeFileSync(path, bytes);
      const before = readFailureCount(metricsDir(), 'v') ?? 0;
      const error = await expectFailure(verify());
      expect(error.code).toBe('E_BACKUP_INTEGRITY');
      expect(error.message).toContain(`v/base/${id}/dump.age`);
      expect(readFailureCount(metricsDir(), 'v')).toBe(before + 1);
    });
  });
});
