/**
 * The PITR drill end to end: `preflight backup drill --scratch` through the built CLI (file storage in a temp dir,
 * the drill metric written as a textfile), and the scratch drill against a real s3rver (its objects removed after).
 * Uses bin/preflight.js and bin/preflight-wal.js, which load dist/: run `npm run build` first.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { makeConfig, removeTempDirs, type S3rverProcess, s3Env, startS3rver } from '../fixtures/support.js';
import { readMetricValue } from '../metrics.js';
import { openStorage } from '../storage/index.js';
import { createScratchSource, runScratchDrill } from './scratch.js';

describe('preflight backup drill', () => {
  it('--scratch passes through the CLI: exactly the markers before the target time, RPO, RTO, the drill metric', async () => {
    const home = makeTempDir('pitr-drill');
    chmodSync(home, 0o755); // the server user reaches the scratch directories below
    mkdirSync(join(home, 'metrics'));
    writeFileSync(
      join(home, 'preflight.yaml'),
      stringify({ backups: { textfileDir: join(home, 'metrics') } }),
    );
    const result = await runCli(
      ['backup', 'drill', '--scratch', '--work-dir', home, '--target', 'ci', '--json'],
      {
        cwd: home,
        env: { PREFLIGHT_HOME: join(home, 'home') },
        timeoutMs: 300_000,
      },
    );
    expect(result.stderr).not.toMatch(/AGE-SECRET-KEY/);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.expected).toEqual([1, 2]);
    expect(report.found).toEqual([1, 2]);
    expect(report.restore.segmentsReplayed).toBeGreaterThan(0);
    expect(report.restore.rto.totalMs).toBeGreaterThan(0);
    expect(report.rpo.lastArchivedWal).toMatch(/^[0-9A-F]{24}$/);
    const metrics = readFileSync(join(home, 'metrics', 'preflight_backup_ci.prom'), 'utf8');
    const stamp = readMetricValue(metrics, 'preflight_pitr_drill_last_success_timestamp_seconds', 'ci');
    expect(stamp).toBeGreaterThan(Date.now() / 1000 - 600);
  }, 320_000);

  it('--target runs on a configured server that archives to the target storage (the weekly job)', async () => {
    const workRoot = makeTempDir('pitr-drill-target');
    chmodSync(workRoot, 0o755);
    const source = await createScratchSource({ backups: makeConfig({ recipients: [] }).backups, workRoot });
    try {
      // restore_command reads this config as the server user
      const configPath = join(source.workDir, 'target.yaml');
      writeFileSync(
        configPath,
        stringify({
          targets: {
            [source.target]: {
              database: { adminUrlEnv: 'DRILL_ADMIN_URL' },
              backup: { storage: source.storageUrl },
            },
          },
          backups: { ageRecipients: [source.recipient], textfileDir: join(workRoot, 'metrics') },
        }),
        { mode: 0o644 },
      );
      const result = await runCli(
        [
          'backup',
          'drill',
          '--target',
          source.target,
          '--config',
          configPath,
          '--work-dir',
          workRoot,
          '--json',
        ],
        {
          env: { DRILL_ADMIN_URL: source.cluster.url(), PREFLIGHT_AGE_IDENTITY: source.identity },
          timeoutMs: 300_000,
        },
      );
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({ ok: true, target: source.target, expected: [1, 2], found: [1, 2] });
      // the drill's base backup stays in the target's storage, listed beside the logical backups
      const list = await runCli([
        'backup',
        'list',
        '--target',
        source.target,
        '--config',
        configPath,
        '--json',
      ]);
      expect(JSON.parse(list.stdout).backups).toEqual([
        expect.objectContaining({ id: report.baseId, kind: 'base', complete: true, verified: '-' }),
      ]);
      const table = await runCli(['backup', 'list', '--target', source.target, '--config', configPath]);
      expect(table.stdout).toMatch(new RegExp(`${report.baseId}\\s+base\\s`));
      // the marker table is dropped from the target's database again
      const client = new pg.Client({ connectionString: source.cluster.url() });
      await client.connect();
      try {
        const { rows } = await client.query(
          "SELECT relname FROM pg_class WHERE relname LIKE 'preflight_pitr_drill_%'",
        );
        expect(rows).toEqual([]);
      } finally {
        await client.end();
      }
    } finally {
      await source.remove();
    }
  }, 320_000);

  describe('on s3rver', () => {
    let s3: S3rverProcess;
    const saved: Record<string, string | undefined> = {};

    beforeAll(async () => {
      s3 = await startS3rver();
      // archive_command and restore_command inherit the server's environment, started from this process
      for (const [name, value] of Object.entries(s3Env())) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
    });
    afterAll(async () => {
      for (const [name, value] of Object.entries(saved))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      await s3?.stop();
      removeTempDirs(); // s3rver's directory
    });

    it('passes, and removes its objects from the storage after', async () => {
      const workRoot = makeTempDir('pitr-drill-s3');
      chmodSync(workRoot, 0o755);
      const backups = makeConfig({ recipients: [], s3Endpoint: s3.endpoint }).backups;
      const report = await runScratchDrill({ backups, storageUrl: 's3://backups/pitr', workRoot });
      expect(report.problem).toBeUndefined();
      expect(report.ok).toBe(true);
      expect(report.found).toEqual([1, 2]);
      const storage = openStorage('s3://backups/pitr', backups, { env: s3Env() });
      try {
        expect(await storage.list(`${report.target}/`)).toEqual([]);
      } finally {
        await storage.close();
      }
    }, 320_000);
  });
});
