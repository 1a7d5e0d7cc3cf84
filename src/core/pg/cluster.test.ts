import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPgBinaries } from './binaries.js';
import { createCluster } from './cluster.js';

describe('throwaway PostgreSQL cluster (real server)', () => {
  it('starts with scram auth on loopback, runs queries and is removed by destroy()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'preflight-cluster-'));
    const cluster = await createCluster({ dataDir: join(dir, 'data'), password: 'pw-Ω' });
    try {
      const client = new pg.Client(cluster.url());
      await client.connect();
      const { rows } = await client.query<{ method: string }>(
        "select setting as method from pg_settings where name = 'password_encryption'",
      );
      expect(rows[0]?.method).toBe('scram-sha-256');
      await client.query('create extension btree_gist');
      await client.end();
      const wrong = new pg.Client(cluster.url('postgres', 'postgres', 'wrong'));
      await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await cluster.destroy();
    }
    expect(existsSync(join(dir, 'data'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'preflight-cluster-'));
    try {
      await expect(createCluster({ dataDir: join(dir, 'data'), password: 'pw', port })).rejects.toMatchObject(
        { code: 'E_PORT_IN_USE' },
      );
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the install hint when no binaries are found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'preflight-nobin-'));
    try {
      mkdirSync(join(empty, 'bin'));
      expect(() => findPgBinaries(join(empty, 'bin'))).toThrow(/PostgreSQL server binaries .* not found/);
      try {
        findPgBinaries(join(empty, 'bin'));
      } catch (error) {
        expect((error as { code: string; hint: string }).code).toBe('E_TOOL_MISSING');
        expect((error as { hint: string }).hint).toContain('apt-get install postgresql');
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
