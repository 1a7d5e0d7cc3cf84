/**
 * PostgreSQL WAL file names: segments `TTTTTTTTXXXXXXXXYYYYYYYY`, `.partial` segments (left by a promotion),
 * `TTTTTTTT.history` and `TTTTTTTTXXXXXXXXYYYYYYYY.OOOOOOOO.backup` labels. The segment number is
 * XXXXXXXX * segmentsPerId + YYYYYYYY, where segmentsPerId = 2^32 / wal_segment_size (256 for 16 MiB).
 */
import { PreflightError } from '../../src/core/errors.js';

export type WalFileKind = 'segment' | 'history' | 'backup' | 'partial';

export interface WalFileName {
  fileName: string;
  kind: WalFileKind;
  timeline: number;
  /** The 16 hex digits after the timeline (log id + segment), absent for history files. */
  position?: string;
}

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

const segmentPattern = /^([0-9A-F]{8})([0-9A-F]{16})$/;
const partialPattern = /^([0-9A-F]{8})([0-9A-F]{16})\.partial$/;
const backupPattern = /^([0-9A-F]{8})([0-9A-F]{16})\.[0-9A-F]{8}\.backup$/;
const historyPattern = /^([0-9A-F]{8})\.history$/;

/** The WAL file a name denotes, or undefined for anything else. */
export function parseWalFileName(fileName: string): WalFileName | undefined {
  for (const [pattern, kind] of [
    [segmentPattern, 'segment'],
    [partialPattern, 'partial'],
    [backupPattern, 'backup'],
    [historyPattern, 'history'],
  ] as const) {
    const m = pattern.exec(fileName);
    if (m?.[1]) return { fileName, kind, timeline: Number.parseInt(m[1], 16), position: m[2] };
  }
  return undefined;
}

/** Like parseWalFileName, but a bad name is a usage error naming it. */
export function requireWalFileName(fileName: string): WalFileName {
  const parsed = parseWalFileName(fileName);
  if (parsed) return parsed;
  throw new PreflightError('E_USAGE', `"${fileName}" is not a WAL file name`, {
    hint: 'expected a segment (24 hex digits), a .partial segment, a NNNNNNNN.history or a .backup file, as PostgreSQL passes %f / %p',
  });
}

export function formatTimeline(timeline: number): string {
  return timeline.toString(16).toUpperCase().padStart(8, '0');
}

function segmentsPerId(segmentSize: number): bigint {
  return 0x1_0000_0000n / BigInt(segmentSize);
}

/** The segment number of a 16-hex-digit position. */
export function getSegmentNumber(position: string, segmentSize = DEFAULT_SEGMENT_SIZE): bigint {
  const logId = BigInt(`0x${position.slice(0, 8)}`);
  const seg = BigInt(`0x${position.slice(8)}`);
  return logId * segmentsPerId(segmentSize) + seg;
}

export function formatSegmentName(
  timeline: number,
  segmentNumber: bigint,
  segmentSize = DEFAULT_SEGMENT_SIZE,
): string {
  const perId = segmentsPerId(segmentSize);
  const hex = (n: bigint) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${formatTimeline(timeline)}${hex(segmentNumber / perId)}${hex(segmentNumber % perId)}`;
}

/** The segment holding an LSN such as `0/3000028`. */
export function getSegmentForLsn(timeline: number, lsn: string, segmentSize = DEFAULT_SEGMENT_SIZE): string {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m?.[1] || !m[2])
    throw new PreflightError('E_USAGE', `"${lsn}" is not an LSN`, {
      hint: 'write it as PostgreSQL does: 0/3000028',
    });
  const bytes = (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
  return formatSegmentName(timeline, bytes / BigInt(segmentSize), segmentSize);
}
