/** Locates PostgreSQL's binaries: an explicit directory, PATH, `pg_config --bindir`, then /usr/lib/postgresql/<major>/bin. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PreflightError } from '../errors.js';
import { findTool } from '../process.js';

export interface PgBinaries {
  bindir: string;
  major: number;
  path(tool: string): string;
}

const serverTools = ['initdb', 'pg_ctl', 'postgres'];

/** Directories that may hold PostgreSQL binaries, best first. */
export function candidatePgBinDirs(explicitDir = process.env.PREFLIGHT_PG_BINDIR): string[] {
  if (explicitDir) return [explicitDir];
  const dirs: string[] = [];
  const onPath = findTool('initdb');
  if (onPath) dirs.push(onPath.replace(/\/initdb$/, ''));
  const pgConfig = findTool('pg_config');
  if (pgConfig) {
    try {
      dirs.push(execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim());
    } catch {
      // pg_config from a client-only package can fail; the scan below still runs
    }
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...majors.map((m) => join(root, m, 'bin')));
  }
  return [...new Set(dirs)];
}

/** Finds a directory holding initdb, pg_ctl and postgres, or throws E_TOOL_MISSING with an install hint. */
export function findPgBinaries(explicitDir?: string): PgBinaries {
  const candidates = candidatePgBinDirs(explicitDir);
  for (const dir of candidates) {
    if (serverTools.every((tool) => findTool(join(dir, tool)))) {
      return { bindir: dir, major: readMajor(dir), path: (tool) => join(dir, tool) };
    }
  }
  throw new PreflightError(
    'E_TOOL_MISSING',
    `PostgreSQL server binaries (initdb, pg_ctl, postgres) not found${candidates.length ? ` in ${candidates.join(', ')}` : ''}`,
    {
      hint: 'apt-get install postgresql (Debian puts them in /usr/lib/postgresql/<major>/bin), or set PREFLIGHT_PG_BINDIR to the directory holding initdb',
      details: { searched: candidates },
    },
  );
}

/** Finds a client tool (pg_dump, pg_restore, psql, pgbench) next to the server binaries or on PATH. */
export function findPgClientTool(tool: string, explicitDir?: string): string | undefined {
  for (const dir of candidatePgBinDirs(explicitDir)) {
    const found = findTool(join(dir, tool));
    if (found) return found;
  }
  return explicitDir ? undefined : findTool(tool);
}

function readMajor(bindir: string): number {
  try {
    const out = execFileSync(join(bindir, 'pg_ctl'), ['--version'], { encoding: 'utf8' });
    return Number(/(\d+)(?:\.\d+)?/.exec(out)?.[1] ?? 0);
  } catch {
    return Number(/postgresql\/(\d+)/.exec(bindir)?.[1] ?? 0);
  }
}

/** Reads `<tool> --version` as "15.18". */
export function readToolVersion(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8' });
    return /(\d+(?:\.\d+)+|\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}
