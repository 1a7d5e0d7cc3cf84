import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWalCommand } from '../../../backups/wal/archive.js';
import { runCli } from '../../../test/helpers/cli.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { type Cluster, createCluster } from '../../core/pg/cluster.js';
import type { DoctorReport } from './checks.js';
import { checkPitr, isSupabaseHost } from './pitr-check.js';

const work = makeTempDir('doctor-pitr-test-');
const password = 'pitr-doctor-secret-77';

async function sql(cluster: Cluster, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('doctor on a Supabase database host (no connection made)', () => {
  it('says PITR through preflight is not available there and names the alternative', async () => {
    for (const host of ['db.abcdefghijkl.supabase.co', 'aws-0-eu-central-1.pooler.supabase.com']) {
      const check = await checkPitr(
        {
          name: 'prod',
          database: {
            readonlyUrl: undefined,
            adminUrl: `postgresql://postgres:${password}@${host}:5432/postgres`,
          },
        },
        { adminReachable: true },
      );
      expect(check).toMatchObject({ id: 'target-pitr', status: 'warn' });
      expect(check!.detail).toContain(`${host} is hosted Supabase, which does not expose archive_command`);
      expect(check!.hint).toContain('Point-in-Time Recovery add-on');
      expect(JSON.stringify(check)).not.toContain(password);
    }
  });

  it('matches only Supabase hosts, not look-alikes', () => {
    expect(isSupabaseHost('db.x.supabase.co')).toBe(true);
    expect(isSupabaseHost('x.pooler.supabase.com')).toBe(true);
    expect(isSupabaseHost('supabase.co.example.com')).toBe(false);
    expect(isSupabaseHost('notsupabase.co')).toBe(false);
    expect(isSupabaseHost('db.supabase.com')).toBe(false);
  });
});

describe('doctor reads archive_mode and archive_command of a real PostgreSQL', () => {
  let off: Cluster;
  let on: Cluster;
  const storage = `file://${join(work, 'archive')}`;

  beforeAll(async () => {
    off = await createCluster({ dataDir: join(work, 'pg-off'), password });
    on = await createCluster({
      dataDir: join(work, 'pg-on'),
      password,
      settings: {
        archive_mode: 'on',
        archive_command: buildWalCommand('push', {
          target: 'stage',
          storage,
          async: true,
          spoolDir: join(work, 'spool'),
        }),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await off?.destroy();
    await on?.destroy();
  });

  const target = (cluster: Cluster) => ({
    name: 'stage',
    database: { readonlyUrl: undefined, adminUrl: cluster.url() },
  });

  it('warns that archive_mode is off and gives the archive_command to set', async () => {
    const check = await checkPitr(target(off), { adminReachable: true });
    expect(check).toMatchObject({
      id: 'target-pitr',
      status: 'warn',
      detail: expect.stringContaining('archive_mode is off'),
    });
    expect(check!.hint).toContain("archive_command = '");
    expect(check!.hint).toMatch(/preflight-wal\.js'' push %p --target ''stage''/);
  });

  it('is ok when archive_command runs preflight wal push, and warns for another command or none', async () => {
    expect(await checkPitr(target(on), { adminReachable: true })).toMatchObject({
      status: 'ok',
      detail:
        'archive_mode=on; archive_command runs preflight wal push for target stage, async (preflight wal archiver uploads)',
    });

    await sql(on, "ALTER SYSTEM SET archive_command = 'cp %p /mnt/archive/%f'");
    await sql(on, 'SELECT pg_reload_conf()');
    const other = await checkPitr(target(on), { adminReachable: true });
    expect(other).toMatchObject({
      status: 'warn',
      detail: 'archive_mode=on; archive_command does not run preflight: cp %p /mnt/archive/%f',
    });

    await sql(on, "ALTER SYSTEM SET archive_command = ''");
    await sql(on, 'SELECT pg_reload_conf()');
    const empty = await checkPitr(target(on), { adminReachable: true });
    expect(empty?.detail).toContain('archive_command is empty');
    await sql(on, 'ALTER SYSTEM RESET archive_command');
    await sql(on, 'SELECT pg_reload_conf()');
  });

  it('says nothing when the admin URL is not configured or did not answer', async () => {
    expect(
      await checkPitr(
        { name: 'stage', database: { readonlyUrl: off.url(), adminUrl: undefined } },
        {
          adminReachable: false,
        },
      ),
    ).toBeUndefined();
    expect(await checkPitr(target(off), { adminReachable: false })).toBeUndefined();
  });

  it('shows the line in `preflight doctor --json` for a target whose admin URL has archiving off (CLI)', async () => {
    const config = join(work, 'preflight.yaml');
    writeFileSync(
      config,
      'targets:\n  stage:\n    baseUrl: http://127.0.0.1:9\n    database:\n      adminUrlEnv: STAGE_ADMIN_URL\n',
    );
    const { stdout } = await runCli(['doctor', '--target', 'stage', '--config', config, '--json'], {
      cwd: work,
      env: {
        PREFLIGHT_HOME: join(work, 'home'),
        PREFLIGHT_CONFIG: '',
        PREFLIGHT_PG_BINDIR: '',
        STAGE_ADMIN_URL: off.url(),
      },
    });
    expect(stdout).not.toContain(password);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.checks.find((c) => c.id === 'target-pitr')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('archive_mode is off'),
    });
  });
});
