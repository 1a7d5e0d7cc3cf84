/**
 * Acceptance through the built CLI against the sandbox twin's database and a real s3rver: run -> list -> verify,
 * the stored object decrypts with the `age` CLI and restores with plain pg_restore, a tampered object fails verify
 * naming it, and every command answers --json.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runTool } from '../src/core/process.js';
import { type SandboxHandle, startSandbox } from '../src/sandbox/index.js';
import { runCli } from '../test/helpers/cli.js';
import { applyStableOutputSettings, computeAllFigures } from './figures.js';
import {
  createAgeKeygenKeys,
  fixturesDir,
  makeTempDir,
  removeTempDirs,
  type S3rverProcess,
  s3Env,
  startS3rver,
} from './fixtures/support.js';
import type { BackupManifest } from './manifest.js';
import { readMetricValue } from './metrics.js';
import { findPgTool, splitConnectionUrl } from './tools.js';

describe('preflight backup (CLI) against the sandbox and s3rver', () => {
  let home: string;
  let sandbox: SandboxHandle;
  let s3: S3rverProcess;
  let keys: { identity: string; recipient: string };
  let env: Record<string, string>;
  const storage = 's3://backups/acceptance';
  let manifest: BackupManifest;

  beforeAll(async () => {
    home = makeTempDir('cli');
    [sandbox, s3, keys] = await Promise.all([
      startSandbox({ dir: join(home, 'sandbox') }),
      startS3rver(),
      createAgeKeygenKeys(join(home, 'key.txt')),
    ]);
    mkdirSync(join(home, 'metrics'), { recursive: true });
    writeFileSync(
      join(home, 'preflight.yaml'),
      stringify({
        backups: {
          ageRecipients: [keys.recipient],
          s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
          retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
          textfileDir: join(home, 'metrics'),
        },
      }),
    );
    // the README's way: the whole key file as age-keygen wrote it, comment lines included
    env = {
      ...s3Env(),
      PREFLIGHT_HOME: home,
      PREFLIGHT_AGE_IDENTITY: readFileSync(join(home, 'key.txt'), 'utf8'),
    };
  }, 180_000);
  afterAll(async () => {
    await sandbox?.stop();
    await s3?.stop();
    removeTempDirs();
  });

  const cli = (args: string[]) =>
    runCli(['backup', ...args, '--config', join(home, 'preflight.yaml')], {
      env,
      cwd: home,
      timeoutMs: 180_000,
    });
  const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { ok: boolean };

  it('run -> list -> verify passes; the restored scratch database matches the manifest exactly', async () => {
    const run = await cli(['run', '--target', 'sandbox', '--storage', storage, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const ran = json(run.stdout) as { ok: boolean; id: string; manifest: BackupManifest };
    expect(ran.ok).toBe(true);
    manifest = ran.manifest;
    expect(manifest.tables.find((t) => t.table === 'bookings')?.rows).toBeGreaterThan(0);
    expect(manifest.server.versionNum).toBeGreaterThan(150000);
    expect(manifest.walLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(run.stdout + run.stderr).not.toContain(keys.identity);
    expect(run.stdout + run.stderr).not.toContain(new URL(sandbox.state.db.adminUrl).password);

    // the manifest's figures are the sandbox's figures (nothing writes to it meanwhile)
    const source = new pg.Client({ connectionString: sandbox.state.db.adminUrl });
    await source.connect();
    try {
      await applyStableOutputSettings(source);
      expect(await computeAllFigures(source, 'hashcolumns')).toEqual(manifest.tables);
    } finally {
      await source.end();
    }

    const list = await cli(['list', '--storage', storage, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list.stdout).backups).toEqual([
      expect.objectContaining({ id: ran.id, complete: true, verified: 'no' }),
    ]);
    const table = await cli(['list', '--storage', storage]);
    expect(table.stdout).toMatch(/id\s+kind\s+time\s+size\s+duration\s+verified/);
    expect(table.stdout).toMatch(new RegExp(`${ran.id}\\s+logical\\s`));

    const verify = await cli(['verify', 'latest', '--storage', storage, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const record = (
      JSON.parse(verify.stdout) as {
        record: {
          ok: boolean;
          tables: { total: number; mismatched: unknown[] };
          checks: Array<{ name: string; ok: boolean; notApplicable?: boolean }>;
          rto: Record<string, number>;
        };
      }
    ).record;
    expect(record.ok).toBe(true);
    expect(record.tables).toEqual({ total: manifest.tables.length, mismatched: [] });
    // the sandbox has every table the invariant checks name: all of them ran and passed
    expect(record.checks.map((c) => [c.name, c.ok, c.notApplicable ?? false])).toEqual([
      ['00-invalid-indexes', true, false],
      ['01-unvalidated-constraints', true, false],
      ['10-bookings-no-overlap', true, false],
      ['11-bookings-sane-prices', true, false],
      ['12-pricing-within-range', true, false],
      ['13-instructors-have-role', true, false],
    ]);
    for (const stage of ['downloadMs', 'decryptMs', 'prepareMs', 'restoreMs', 'checksMs', 'totalMs'])
      expect(record.rto[stage]).toBeGreaterThanOrEqual(0);

    const listed = await cli(['list', '--storage', storage, '--json']);
    expect(json(listed.stdout).backups).toEqual([expect.objectContaining({ id: ran.id, verified: 'yes' })]);

    // as text: one line per kind of object besides the tables
    const text = await cli(['verify', 'latest', '--storage', storage]);
    expect(text.code, text.stderr).toBe(0);
    for (const kind of [
      'schemas',
      'sequences',
      'large objects',
      'views',
      'functions',
      'indexes',
      'constraints',
    ])
      expect(text.stdout).toMatch(new RegExp(`^${kind} (\\d+)/\\1$`, 'm'));
    expect(text.stdout).toMatch(/^ownership: not compared \(restored with --no-owner --no-privileges\)$/m);

    const metrics = readFileSync(join(home, 'metrics', 'preflight_backup_sandbox.prom'), 'utf8');
    expect(
      readMetricValue(metrics, 'preflight_backup_last_success_timestamp_seconds', 'sandbox'),
    ).toBeGreaterThan(0);
    expect(
      readMetricValue(metrics, 'preflight_backup_verify_last_success_timestamp_seconds', 'sandbox'),
    ).toBeGreaterThan(0);
    expect(readMetricValue(metrics, 'preflight_backup_size_bytes', 'sandbox')).toBe(
      manifest.objects[0]!.size,
    );
  }, 300_000);

  it('verify with a key of another recipient (backups.ageIdentityFile): E_DECRYPT naming the recipients; list keeps the earlier status', async () => {
    const other = await createAgeKeygenKeys(join(home, 'other-key.txt'));
    const config = join(home, 'other.yaml');
    writeFileSync(
      config,
      readFileSync(join(home, 'preflight.yaml'), 'utf8').replace(
        'backups:\n',
        `backups:\n  ageIdentityFile: ${join(home, 'other-key.txt')}\n`,
      ),
    );
    const { PREFLIGHT_AGE_IDENTITY: _unset, ...withoutIdentity } = env;
    const verify = await runCli(
      ['backup', 'verify', 'latest', '--storage', storage, '--json', '--config', config],
      {
        env: withoutIdentity,
        cwd: home,
        timeoutMs: 180_000,
      },
    );
    expect(verify.code).toBe(1);
    const out = json(verify.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(out).toMatchObject({ ok: false, error: { code: 'E_DECRYPT' } });
    expect(out.error.message).toContain(keys.recipient);
    expect(verify.stdout + verify.stderr).not.toContain(other.identity);
    const list = await cli(['list', '--storage', storage, '--json']);
    expect(json(list.stdout).backups).toEqual([expect.objectContaining({ verified: 'yes' })]);
  }, 180_000);

  const s3Client = () =>
    new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  const dumpKey = () => `acceptance/${manifest.objects[0]!.key}`;

  it('the stored object decrypts with the age CLI and restores with plain pg_restore (no lock-in)', async () => {
    const dir = makeTempDir('no-lock-in');
    const client = s3Client();
    const object = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: dumpKey() }));
    writeFileSync(join(dir, 'dump.age'), await object.Body!.transformToByteArray());
    client.destroy();
    writeFileSync(join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
    await runTool('age', [
      '--decrypt',
      '--identity',
      join(dir, 'key.txt'),
      '--output',
      join(dir, 'dump.pgcustom'),
      join(dir, 'dump.age'),
    ]);

    const admin = new pg.Client({ connectionString: sandbox.state.db.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE plain_restore');
    await admin.end();
    const url = new URL(sandbox.state.db.adminUrl);
    url.pathname = '/plain_restore';
    try {
      const connection = splitConnectionUrl(url.toString());
      await runTool(findPgTool('pg_restore'), ['--dbname', connection.url, join(dir, 'dump.pgcustom')], {
        env: connection.env,
      });
      const restored = new pg.Client({ connectionString: url.toString() });
      await restored.connect();
      try {
        await applyStableOutputSettings(restored);
        expect(await computeAllFigures(restored, 'hashcolumns')).toEqual(manifest.tables);
      } finally {
        await restored.end();
      }
    } finally {
      const cleanup = new pg.Client({ connectionString: sandbox.state.db.adminUrl });
      await cleanup.connect();
      await cleanup.query('DROP DATABASE IF EXISTS plain_restore WITH (FORCE)');
      await cleanup.end();
    }
  }, 180_000);

  it('prune and schedule answer --json; prune without --apply deletes nothing', async () => {
    const prune = await cli(['prune', '--storage', storage, '--json']);
    expect(prune.code, prune.stderr).toBe(0);
    expect(json(prune.stdout)).toMatchObject({
      ok: true,
      applied: false,
      deleted: [],
      plan: { keep: 1, delete: 0 },
    });
    const schedule = await cli(['schedule', '--format', 'github-actions', '--storage', storage, '--json']);
    expect(schedule.code, schedule.stderr).toBe(0);
    const scheduled = json(schedule.stdout) as { ok: boolean; content: string };
    expect(scheduled).toMatchObject({ ok: true, format: 'github-actions', at: '03:00' });
    // variable names are not secrets: the template must come out intact
    expect(scheduled.content).toContain(`AWS_SECRET_ACCESS_KEY: \${{ secrets.AWS_SECRET_ACCESS_KEY }}`);
    const text = await cli(['schedule', '--format', 'github-actions', '--storage', storage]);
    expect(text.stdout).toBe(scheduled.content);
    const help = await cli(['verify', '--help']);
    expect(help.stdout).toContain('Examples:');
  }, 120_000);

  it('pg_dump killed half way: clear error, exit 1, a failure metric, nothing new listed complete', async () => {
    const before = json((await cli(['list', '--storage', storage, '--json'])).stdout).backups as unknown[];
    const run = await runCli(
      ['backup', 'run', '--storage', storage, '--json', '--config', join(home, 'preflight.yaml')],
      {
        env: {
          ...env,
          PREFLIGHT_PG_DUMP: join(fixturesDir, 'pg_dump-dies-halfway.sh'),
          REAL_PG_DUMP: findPgTool('pg_dump'),
          DIE_AFTER_BYTES: '4096',
        },
        cwd: home,
        timeoutMs: 180_000,
      },
    );
    expect(run.code).toBe(1);
    expect(json(run.stdout)).toMatchObject({ ok: false, error: { code: 'E_BACKUP' } });
    expect(run.stderr).toMatch(/error\[E_BACKUP\]: pg_dump failed, nothing was stored as a complete backup/);
    const metrics = readFileSync(join(home, 'metrics', 'preflight_backup_sandbox.prom'), 'utf8');
    // the wrong key's verify above failed too
    expect(readMetricValue(metrics, 'preflight_backup_failures_total', 'sandbox')).toBe(2);
    const after = json((await cli(['list', '--storage', storage, '--json'])).stdout);
    expect(after.backups).toEqual(before);
    expect(after.incomplete).toEqual([]);
  }, 180_000);

  it('verify on a tampered object fails naming the object, with a non-zero exit and a failure metric', async () => {
    const client = s3Client();
    const object = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: dumpKey() }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    bytes[bytes.length - 100]! ^= 0x80;
    await client.send(new PutObjectCommand({ Bucket: 'backups', Key: dumpKey(), Body: bytes }));
    client.destroy();
    const verify = await cli(['verify', 'latest', '--storage', storage, '--json']);
    expect(verify.code).toBe(1);
    const out = json(verify.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(out).toMatchObject({ ok: false, error: { code: 'E_BACKUP_INTEGRITY' } });
    expect(out.error.message).toContain(manifest.objects[0]!.key);
    expect(verify.stderr).toContain(`Object ${manifest.objects[0]!.key} is damaged`);
    const metrics = readFileSync(join(home, 'metrics', 'preflight_backup_sandbox.prom'), 'utf8');
    expect(readMetricValue(metrics, 'preflight_backup_failures_total', 'sandbox')).toBe(3);
    const list = await cli(['list', '--storage', storage, '--json']);
    expect(json(list.stdout).backups).toEqual([expect.objectContaining({ verified: 'failed' })]);
  }, 180_000);
});
