/** The manifest written last beside every backup (its presence marks the backup complete) and the verification record. */
import type { ChecksumMethod, TableFigures } from './figures.js';
import type { DatabaseInventory, InventoryComparison, InventoryKind } from './inventory.js';

export type { TableFigures };

export interface StoredObjectRecord {
  name: string;
  key: string;
  size: number;
  sha256: string;
  /** What the bytes are, outermost first. */
  encoding: string[];
}

export interface BackupManifest {
  manifestVersion: 1;
  kind: 'logical';
  id: string;
  target: string;
  database: string;
  format: 'custom';
  compression: { method: 'gzip'; level: number };
  server: { version: string; versionNum: number };
  pgDump: { version: string; path: string };
  snapshotId: string;
  /** pg_current_wal_lsn() inside the snapshot: where a WAL replay for PITR would start. */
  walLsn: string | null;
  timeline: number | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  objects: StoredObjectRecord[];
  /** How `tables[].checksum` was computed; verify uses the same. */
  checksumMethod: ChecksumMethod;
  tables: TableFigures[];
  /** Every other object of the database (schemas, sequences, large objects, ...); absent in older manifests. */
  inventory?: DatabaseInventory;
  encryption: { tool: 'age'; recipients: Array<{ recipient: string; fingerprint: string }> };
  layout: { base: string; wal: string };
  preflightVersion: string;
}

export interface VerificationRecord {
  id: string;
  target: string;
  verifiedAt: string;
  ok: boolean;
  /** Recovery time by stage; prepareMs is creating the scratch database (a throwaway cluster's initdb included, made while download and decrypt run), restoreMs is pg_restore alone; totalMs is the wall time from download to the last comparison and check. */
  rto: {
    downloadMs: number;
    decryptMs: number;
    prepareMs: number;
    restoreMs: number;
    checksMs: number;
    totalMs: number;
  };
  restoredInto: 'throwaway-cluster' | 'given-server';
  tables: {
    total: number;
    mismatched: Array<{
      schema: string;
      table: string;
      expected: { rows: number; checksum: string } | null;
      actual: { rows: number; checksum: string } | null;
    }>;
  };
  /** The inventory compared kind by kind, and the kinds not compared with the reason. */
  inventory?: {
    compared: InventoryComparison[];
    notCompared: Array<{ kind: InventoryKind; why: string }>;
  };
  checks: Array<{
    name: string;
    ok: boolean;
    rows: number;
    notApplicable?: boolean;
    error?: string;
    sample?: unknown[];
  }>;
  error?: { code: string; message: string };
}

/** A base backup's tar (pg_basebackup -Ft, its backup_manifest inside), gzip-compressed and age-encrypted. */
export const BASE_TAR_OBJECT = 'base.tar.gz.age';

/** A physical base backup (pg_basebackup -Ft, WAL method none) for point-in-time recovery, beside the logical ones. */
export interface BaseBackupManifest {
  manifestVersion: 1;
  kind: 'base';
  id: string;
  target: string;
  server: { version: string; versionNum: number; systemIdentifier: string };
  pgBasebackup: { version: string; path: string };
  /** Where the WAL replay starts (its segment is the oldest one this backup needs) and where the copy became consistent. */
  startLsn: string;
  stopLsn: string;
  timeline: number;
  /** The first WAL segment this backup needs, e.g. 000000010000000000000003. */
  startSegment: string;
  /** The server's wal_segment_size in bytes. */
  walSegmentSize: number;
  startedAt: string;
  /** When pg_basebackup returned (the stop point was archived by then): the earliest possible recovery target time. */
  finishedAt: string;
  durationMs: number;
  objects: StoredObjectRecord[];
  encryption: { tool: 'age'; recipients: Array<{ recipient: string; fingerprint: string }> };
  layout: { base: string; wal: string };
  preflightVersion: string;
}

export type AnyBackupManifest = BackupManifest | BaseBackupManifest;

/** Parses either kind of manifest (a logical one, or a base backup's with `kind: 'base'`). */
export function parseAnyManifest(text: string, where: string): AnyBackupManifest {
  const value = JSON.parse(text) as AnyBackupManifest;
  if (value.kind === 'base') {
    if (value.manifestVersion !== 1 || !Array.isArray(value.objects) || typeof value.stopLsn !== 'string')
      throw new Error(`${where} is not a preflight base backup manifest`);
    return value;
  }
  return parseManifest(text, where);
}

export function parseManifest(text: string, where: string): BackupManifest {
  const value = JSON.parse(text) as BackupManifest;
  if (value.manifestVersion !== 1 || !Array.isArray(value.objects) || !Array.isArray(value.tables)) {
    throw new Error(`${where} is not a preflight backup manifest (version ${String(value.manifestVersion)})`);
  }
  return value;
}
