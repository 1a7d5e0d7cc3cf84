/** Opens the backup storage named by a URL: file:///path or s3://bucket/prefix. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreflightConfig } from '../../src/core/config/schema.js';
import { PreflightError } from '../../src/core/errors.js';
import { registerSecret } from '../../src/core/redact.js';
import { createFileStorage } from './file.js';
import { createS3Storage } from './s3.js';
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
    return createS3Storage({
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
