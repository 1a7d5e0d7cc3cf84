/** Custom invariant queries (backups/checks/*.sql plus a configured directory): each returns zero rows when the data is fine. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { redact } from '../src/core/redact.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  rows: number;
  /** The check's tables or columns do not exist in this database. */
  notApplicable?: boolean;
  error?: string;
  sample?: unknown[];
}

export const builtInChecksDir = fileURLToPath(new URL('./checks/', import.meta.url));

export function listCheckFiles(dirs: string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.sql')) files.push(join(dir, name));
  }
  return files;
}

/** Runs each check in its own read-only transaction; undefined tables/columns make a check not applicable rather than failed. */
export async function runInvariantChecks(client: pg.ClientBase, files: string[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const file of files) {
    const name = basename(file, '.sql');
    const sql = readFileSync(file, 'utf8');
    await client.query('BEGIN READ ONLY');
    try {
      const { rows } = await client.query(sql);
      results.push({
        name,
        ok: rows.length === 0,
        rows: rows.length,
        sample: rows.length ? rows.slice(0, 5) : undefined,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '42703' || code === '42883')
        results.push({ name, ok: true, rows: 0, notApplicable: true });
      else results.push({ name, ok: false, rows: 0, error: redact((error as Error).message) });
    } finally {
      await client.query('ROLLBACK');
    }
  }
  return results;
}
