/** S3-compatible object storage (AWS S3, Cloudflare R2, MinIO, Supabase Storage, s3rver) via @aws-sdk/client-s3 multipart uploads. */

import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PreflightError } from '../../src/errors.js';
import { redact } from '../../src/redact.js';
import { createSdkRetryStrategy, isTransientError, type RetryPolicy, withRetry } from '../retry.js';
import type { BackupStorage, PutStreamOptions, StoredObject } from './types.js';

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for the bucket root). */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  retry: RetryPolicy;
  /** Multipart part size (>= 5 MiB). */
  partSize?: number;
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/** Wraps an SDK error into E_STORAGE with the status and code, never the credentials. */
function toStorageError(error: unknown, action: string, where: string): PreflightError {
  if (error instanceof PreflightError) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  const what = [e.name, e.code, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  const transient = isTransientError(error);
  return new PreflightError(
    'E_STORAGE',
    redact(`S3 ${action} ${where} failed${what ? ` (${what})` : ''}: ${e.message ?? String(error)}`),
    {
      cause: error,
      hint: transient
        ? 'the storage was unreachable through every retry: check the endpoint and the network, or raise backups.retry.attempts'
        : 'check the bucket name, the credentials (backups.s3.accessKeyIdEnv/secretAccessKeyEnv) and the endpoint settings',
      details: { transient },
    },
  );
}

export function createS3Storage(options: S3StorageOptions): BackupStorage {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    retryStrategy: createSdkRetryStrategy(options.retry, options.onRetry) as never,
    // checksums computed by the SDK's newer defaults are not understood by every S3-compatible server
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const fullKey = (key: string) => (options.prefix ? `${options.prefix}/${key}` : key);
  const where = (key: string) => `s3://${options.bucket}/${fullKey(key)}`;
  const retrying = <T>(op: () => Promise<T>) =>
    withRetry(op, { policy: options.retry, onRetry: options.onRetry });

  return {
    displayUrl: `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`,
    async putStream(key, body, putOptions: PutStreamOptions = {}) {
      const upload = new Upload({
        client,
        params: {
          Bucket: options.bucket,
          Key: fullKey(key),
          Body: body,
          ContentType: 'application/octet-stream',
        },
        partSize: Math.max(options.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024),
        queueSize: 2,
        leavePartsOnError: false,
      });
      upload.on('httpUploadProgress', (p) => {
        if (p.loaded !== undefined) putOptions.onProgress?.(p.loaded);
      });
      const abort = () => void upload.abort().catch(() => undefined);
      putOptions.signal?.addEventListener('abort', abort, { once: true });
      // a failing source (pg_dump died) must abort the multipart upload instead of completing a short object
      let sourceError: unknown;
      body.once('error', (error: NodeJS.ErrnoException) => {
        // an AbortError here is lib-storage closing the body after its own failure, which done() reports
        if (error.code === 'ABORT_ERR' || error.name === 'AbortError') return;
        sourceError = error;
        abort();
      });
      try {
        await upload.done();
        if (sourceError) throw sourceError;
      } catch (error) {
        // the source may fail in turn once the upload gave up: report whichever failed first
        const sourceFailedFirst = sourceError;
        await upload.abort().catch(() => undefined);
        if (sourceFailedFirst) throw sourceFailedFirst;
        throw toStorageError(error, 'upload to', where(key));
      } finally {
        putOptions.signal?.removeEventListener('abort', abort);
      }
    },
    async putBytes(key, data) {
      try {
        await retrying(() =>
          client.send(
            new PutObjectCommand({
              Bucket: options.bucket,
              Key: fullKey(key),
              Body: typeof data === 'string' ? Buffer.from(data) : data,
            }),
          ),
        );
      } catch (error) {
        throw toStorageError(error, 'upload to', where(key));
      }
    },
    async getStream(key) {
      try {
        const response = await retrying(() =>
          client.send(new GetObjectCommand({ Bucket: options.bucket, Key: fullKey(key) })),
        );
        return response.Body as Readable;
      } catch (error) {
        throw toStorageError(error, 'download of', where(key));
      }
    },
    async getBytes(key) {
      try {
        return await retrying(async () => {
          const response = await client.send(
            new GetObjectCommand({ Bucket: options.bucket, Key: fullKey(key) }),
          );
          return Buffer.from(
            await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
          );
        });
      } catch (error) {
        throw toStorageError(error, 'download of', where(key));
      }
    },
    async list(prefix) {
      const out: StoredObject[] = [];
      let token: string | undefined;
      const strip = options.prefix ? options.prefix.length + 1 : 0;
      try {
        do {
          const page = await retrying(() =>
            client.send(
              new ListObjectsV2Command({
                Bucket: options.bucket,
                Prefix: fullKey(prefix),
                ContinuationToken: token,
              }),
            ),
          );
          for (const item of page.Contents ?? []) {
            if (!item.Key) continue;
            out.push({
              key: item.Key.slice(strip),
              size: item.Size ?? 0,
              lastModified: item.LastModified ?? new Date(0),
            });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw toStorageError(error, 'listing of', where(prefix));
      }
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    async deleteKeys(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        try {
          await retrying(() =>
            client.send(
              new DeleteObjectsCommand({
                Bucket: options.bucket,
                Delete: { Objects: batch.map((k) => ({ Key: fullKey(k) })), Quiet: true },
              }),
            ),
          );
        } catch (error) {
          throw toStorageError(error, 'delete in', where(''));
        }
      }
    },
    async exists(key) {
      try {
        await retrying(() =>
          client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: fullKey(key) })),
        );
        return true;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) return false;
        throw toStorageError(error, 'lookup of', where(key));
      }
    },
    async close() {
      client.destroy();
    },
  };
}
