/** PostgreSQL LSNs (`0/3000028`) as numbers to compare, and the checks of a user-given one. */
import { PreflightError } from '../../src/core/errors.js';

const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function isLsn(text: string): boolean {
  return lsnPattern.test(text);
}

/** The byte position of an LSN; a malformed one is a usage error naming the option. */
export function parseLsn(text: string, option = '--to-lsn'): bigint {
  const m = lsnPattern.exec(text);
  if (!m?.[1] || !m[2])
    throw new PreflightError(
      'E_USAGE',
      `Expected \`${option}\` to be an LSN like 0/3000028, got \`${text}\``,
      {
        hint: 'write it as PostgreSQL prints it (pg_current_wal_lsn()): two hex numbers separated by a slash',
      },
    );
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: string, b: string): number {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
