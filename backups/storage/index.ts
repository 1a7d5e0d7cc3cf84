/**
 * Opens the backup storage named by a URL: file:///path or s3://bucket/prefix. The S3 module (and the AWS SDK it
 * loads, most of a short command's start-up: `wal fetch` 0.6 s -> see backups/wal/spool.ts) is imported only when an
 * s3:// storage is first used.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreflightConfig } from '../../src/core/config/schema.js';
import { PreflightError } from '../../src/core/errors.js';
import { registerSecret } from '../../src/core/redact.js';
import { createFileStorage } from './file.js';
import type { S3StorageOptions } from './s3.js';
import type { BackupStorage } from './types.js';

export { probeStorage } from './probe.js';
export type { BackupStorage, StoredObject } from './types.js';

export interface OpenStorageOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each retry the S3 client makes (`retry` counts from 1). */
  onRetry?: (retry: number) => void;
  partSize?: number;
}

export function openStorage(
  url: string,
  backups: PreflightConfig['backups'],
  options: OpenStorageOptions = {},
): BackupStorage {
  const env = options.env ?? process.env;
  if (url.startsWith('file://')) return createFileStorage(fileURLToPath(url));
  if (url.startsWith('s3://')) {
    const parsed = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    const bucket = parsed?.[1];
    if (!bucket)
      throw new PreflightError('E_USAGE', `Invalid S3 storage URL "${url}"`, {
        hint: 'use s3://bucket/prefix',
      });
    const accessKeyId = env[backups.s3.accessKeyIdEnv];
    const secretAccessKey = env[backups.s3.secretAccessKeyEnv];
    registerSecret(accessKeyId);
    registerSecret(secretAccessKey);
    return createLazyS3Storage({
      bucket,
      prefix: (parsed?.[2] ?? '').replace(/^\/+|\/+$/g, ''),
      endpoint: backups.s3.endpoint,
      region: backups.s3.region,
      forcePathStyle: backups.s3.forcePathStyle,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      retry: backups.retry,
      timeoutMs: backups.storageTimeout * 1000,
      partSize: options.partSize,
      onRetry: options.onRetry,
    });
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new PreflightError('E_USAGE', `Unsupported storage URL "${url}"`, {
      hint: 'use file:///path or s3://bucket/prefix',
    });
  }
  return createFileStorage(resolve(options.cwd ?? process.cwd(), url));
}

/** The S3 storage behind the same interface, its module loaded on the first call. */
function createLazyS3Storage(options: S3StorageOptions): BackupStorage {
  let loaded: Promise<BackupStorage> | undefined;
  const get = () => {
    loaded ??= import('./s3.js').then((m) => m.createS3Storage(options));
    return loaded;
  };
  return {
    displayUrl: `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`,
    putStream: async (key, body, o) => (await get()).putStream(key, body, o),
    putBytes: async (key, data) => (await get()).putBytes(key, data),
    getStream: async (key) => (await get()).getStream(key),
    getBytes: async (key) => (await get()).getBytes(key),
    list: async (prefix) => (await get()).list(prefix),
    deleteKeys: async (keys) => (await get()).deleteKeys(keys),
    exists: async (key) => (await get()).exists(key),
    // never used: nothing to load just to close
    close: async () => (loaded ? (await loaded).close() : undefined),
  };
}
