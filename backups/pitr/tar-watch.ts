/**
 * Reads named members out of a tar stream while passing every byte on: the base backup keeps backup_label and
 * backup_manifest (the WAL range the copy needs) without a second pass. Handles ustar headers, base-256 sizes
 * and the GNU long-name entries; other members are skipped by their size.
 */
import { Transform } from 'node:stream';

const BLOCK = 512;

function readSize(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let size = 0;
    for (let i = 1; i < field.length; i++) size = size * 256 + (field[i] ?? 0);
    return size;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function readName(header: Buffer): string {
  const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
  return prefix ? `${prefix}/${name}` : name;
}

export function createTarWatcher(wanted: string[]): Transform & { readonly members: Map<string, Buffer> } {
  const members = new Map<string, Buffer>();
  let pending: Buffer = Buffer.alloc(0);
  // bytes of the current member's data (and padding) still to skip or keep
  let remaining = 0;
  let padding = 0;
  let keeping: { name: string; chunks: Buffer[] } | undefined;
  let longName: string | undefined;
  let collectingLongName: Buffer[] | undefined;
  const consume = (data: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    for (;;) {
      if (remaining > 0) {
        const take = Math.min(remaining, pending.length);
        if (take === 0) return;
        const piece = pending.subarray(0, take);
        keeping?.chunks.push(Buffer.from(piece));
        collectingLongName?.push(Buffer.from(piece));
        pending = pending.subarray(take);
        remaining -= take;
        if (remaining > 0) return;
        if (keeping) members.set(keeping.name, Buffer.concat(keeping.chunks));
        if (collectingLongName)
          longName = Buffer.concat(collectingLongName).toString('utf8').replace(/\0.*$/s, '');
        keeping = undefined;
        collectingLongName = undefined;
      }
      if (padding > 0) {
        const take = Math.min(padding, pending.length);
        pending = pending.subarray(take);
        padding -= take;
        if (padding > 0) return;
      }
      if (pending.length < BLOCK) return;
      const header = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (header.every((b) => b === 0)) continue;
      const size = readSize(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] ?? 0);
      const name = longName ?? readName(header);
      if (type === 'L') collectingLongName = [];
      else {
        longName = undefined;
        if (wanted.includes(name)) keeping = { name, chunks: [] };
      }
      remaining = size;
      padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (size === 0 && keeping) {
        members.set(keeping.name, Buffer.alloc(0));
        keeping = undefined;
      }
    }
  };
  const watcher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      consume(chunk);
      callback(null, chunk);
    },
  }) as Transform & { readonly members: Map<string, Buffer> };
  Object.defineProperty(watcher, 'members', { get: () => members });
  return watcher;
}

/** START WAL LOCATION / START TIMELINE from backup_label, the WAL range from backup_manifest. */
export function readBackupPoints(
  members: Map<string, Buffer>,
): { startLsn: string; stopLsn: string; timeline: number } | undefined {
  const manifest = members.get('backup_manifest');
  if (!manifest) return undefined;
  const parsed = JSON.parse(manifest.toString('utf8')) as {
    'WAL-Ranges'?: Array<{ Timeline: number; 'Start-LSN': string; 'End-LSN': string }>;
  };
  const ranges = parsed['WAL-Ranges'] ?? [];
  const first = ranges[0];
  const last = ranges.at(-1);
  if (!first || !last) return undefined;
  return { startLsn: first['Start-LSN'], stopLsn: last['End-LSN'], timeline: first.Timeline };
}
