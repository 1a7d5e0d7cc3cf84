/** What a backup store offers: streamed and small writes, reads, listing and deletes, under keys relative to its root. */
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutStreamOptions {
  /** Called with the bytes stored so far. */
  onProgress?: (bytes: number) => void;
  /** Aborts the upload; the partial object is removed. */
  signal?: AbortSignal;
}

export interface BackupStorage {
  /** The storage URL for messages (no secrets in it). */
  readonly displayUrl: string;
  /** Streams `body` into `key`; a failed or aborted upload leaves no object behind. */
  putStream(key: string, body: Readable, options?: PutStreamOptions): Promise<void>;
  putBytes(key: string, data: Buffer | string): Promise<void>;
  getStream(key: string): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  /** Every object whose key starts with `prefix`, recursively. */
  list(prefix: string): Promise<StoredObject[]>;
  deleteKeys(keys: string[]): Promise<void>;
  exists(key: string): Promise<boolean>;
  close(): Promise<void>;
}
