/**
 * The point-in-time recovery line of doctor: hosted Supabase exposes no archive_command, so PITR through preflight is
 * not available there; on other servers, whether archive_mode is on and archive_command runs `preflight wal push`
 * (read-only SHOW queries on the admin URL).
 */
import pg from 'pg';
import { buildWalCommand } from '../../../backups/wal/archive.js';
import { redact } from '../../core/redact.js';
import type { ResolvedTarget } from '../../core/target.js';
import type { DoctorCheck } from './checks.js';

const supabaseHostPattern = /(^|\.)(supabase\.co|pooler\.supabase\.com)$/i;

/** True for Supabase's hosted database and pooler hosts (`*.supabase.co`, `*.pooler.supabase.com`). */
export function isSupabaseHost(host: string): boolean {
  return supabaseHostPattern.test(host);
}

export interface ArchiveSettings {
  archiveMode: string;
  /** undefined when the role may not read it (not superuser, not in pg_read_all_settings). */
  archiveCommand: string | undefined;
}

type PitrTarget = Pick<ResolvedTarget, 'name' | 'database'>;

/**
 * The PITR check of a target: a Supabase note without any connection, else the admin URL's archive settings.
 * undefined when there is nothing to say (no admin URL, or it did not answer: the database checks report that).
 */
export async function checkPitr(
  target: PitrTarget,
  options: { adminReachable: boolean; timeoutMs?: number },
): Promise<DoctorCheck | undefined> {
  const supabase = findSupabaseHost(target);
  if (supabase) return describeSupabase(target.name, supabase);
  const url = target.database.adminUrl;
  if (!url || !options.adminReachable) return undefined;
  const settings = await readArchiveSettings(url, options.timeoutMs ?? 5_000);
  if ('error' in settings) {
    return {
      ...pitrCheck(target.name),
      status: 'warn',
      detail: redact(`could not read archive_mode: ${settings.error}`),
      hint: 'grant the admin role pg_read_all_settings (or use a superuser URL) so doctor can read the archive settings',
    };
  }
  return describeArchiveSettings(target.name, settings);
}

function pitrCheck(name: string): Omit<DoctorCheck, 'status' | 'detail' | 'hint'> {
  return {
    id: 'target-pitr',
    group: 'target',
    name: `point-in-time recovery of ${name}`,
    required: false,
    version: null,
  };
}

function findSupabaseHost(target: PitrTarget): string | undefined {
  for (const url of [target.database.adminUrl, target.database.readonlyUrl]) {
    if (!url) continue;
    try {
      const host = new URL(url).hostname;
      if (isSupabaseHost(host)) return host;
    } catch {
      // an invalid URL is reported by the database checks
    }
  }
  return undefined;
}

function describeSupabase(name: string, host: string): DoctorCheck {
  return {
    ...pitrCheck(name),
    status: 'warn',
    detail: `${host} is hosted Supabase, which does not expose archive_command: WAL archiving and point-in-time recovery through preflight are not available`,
    hint: "keep the daily logical backups (preflight backup run, verified weekly) and enable Supabase's Point-in-Time Recovery add-on for restores to a time",
  };
}

/** The archive_command preflight would have the server run for this target (for the fix line). */
function suggestArchiveCommand(name: string): string {
  try {
    return buildWalCommand('push', { target: name });
  } catch {
    return `preflight wal push %p --target ${name}`;
  }
}

/** Whether an archive_command runs preflight's WAL push (bin/preflight-wal.js, or `preflight wal push`). */
export function isPreflightArchiveCommand(command: string): boolean {
  return /preflight-wal\.js'?\s+push\b/.test(command) || /preflight(\.js)?'?\s+wal\s+push\b/.test(command);
}

/** The doctor line for the archive settings a server reports. */
export function describeArchiveSettings(name: string, settings: ArchiveSettings): DoctorCheck {
  const base = pitrCheck(name);
  const setUp = `set archive_mode = on and archive_command = '${suggestArchiveCommand(name).replace(/'/g, "''")}' in postgresql.conf, then restart (backups/README.md, "Point-in-time recovery")`;
  if (settings.archiveMode === 'off') {
    return {
      ...base,
      status: 'warn',
      detail:
        'archive_mode is off: no WAL is archived, so no point-in-time recovery (only the logical backups)',
      hint: setUp,
    };
  }
  const mode = `archive_mode=${settings.archiveMode}`;
  if (settings.archiveCommand === undefined) {
    return {
      ...base,
      status: 'warn',
      detail: `${mode}; archive_command cannot be read with this role`,
      hint: 'grant the admin role pg_read_all_settings (or use a superuser URL) so doctor can read archive_command',
    };
  }
  const command = settings.archiveCommand.trim();
  if (command === '' || command === '(disabled)') {
    return {
      ...base,
      status: 'warn',
      detail: `${mode} but archive_command is empty: nothing is archived and WAL piles up in pg_wal`,
      hint: setUp,
    };
  }
  if (!isPreflightArchiveCommand(command)) {
    return {
      ...base,
      status: 'warn',
      detail: redact(`${mode}; archive_command does not run preflight: ${command}`),
      hint: `preflight's restore and drill read only the archive that preflight wal push writes: ${setUp}`,
    };
  }
  const pushedTarget = /--target\s+'?([^'\s]+)'?/.exec(command)?.[1];
  const async = /\s--async\b/.test(command) ? ', async (preflight wal archiver uploads)' : '';
  return {
    ...base,
    status: 'ok',
    detail: `${mode}; archive_command runs preflight wal push${pushedTarget ? ` for target ${pushedTarget}` : ''}${async}`,
    hint: null,
  };
}

async function readArchiveSettings(
  url: string,
  timeoutMs: number,
): Promise<ArchiveSettings | { error: string }> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const mode = await client.query<{ archive_mode: string }>('SHOW archive_mode');
    let archiveCommand: string | undefined;
    try {
      archiveCommand = (await client.query<{ archive_command: string }>('SHOW archive_command')).rows[0]
        ?.archive_command;
    } catch (error) {
      // 42501: the role may not read superuser-only settings
      if ((error as { code?: string }).code !== '42501') throw error;
    }
    return { archiveMode: mode.rows[0]?.archive_mode ?? 'off', archiveCommand };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}
