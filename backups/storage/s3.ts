/** S3-compatible object storage (AWS S3, Cloudflare R2, MinIO, Supabase Storage, s3rver) via @aws-sdk/client-s3 multipart uploads. */

import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PreflightError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { isTransientError, type RetryPolicy } from '../retry.js';
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
  /** Milliseconds one request may take with all its retries before it fails (backups.storageTimeout). */
  timeoutMs: number;
  onRetry?: (retry: number) => void;
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
  const what = [e.name, e.code, status ? `HTTP ${status}` : undefined]
    .filter((v, i, all) => v && all.indexOf(v) === i)
    .join(', ');
  const transient = isTransientError(error) || e.name === STORAGE_DEADLINE;
  return new PreflightError(
    'E_STORAGE',
    redact(`S3 ${action} ${where} failed${what ? ` (${what})` : ''}: ${e.message ?? String(error)}`),
    {
      cause: error,
      hint: transient
        ? 'the storage did not answer within backups.storageTimeout through every retry: check the endpoint and the network'
        : 'check the bucket name, the credentials (backups.s3.accessKeyIdEnv/secretAccessKeyEnv) and the endpoint settings',
      details: { transient, s3Error: e.name },
    },
  );
}

const STORAGE_DEADLINE = 'StorageDeadlineExceeded';

type Next = (args: { request?: unknown; input?: unknown }) => Promise<unknown>;
type Middleware = (next: Next, context: { commandName?: string }) => Next;

/** When the storage last failed without answering anything since (undefined while it answers). */
interface FailureClock {
  failingSince: number | undefined;
}

/**
 * Rejects when `work` has not settled within `ms` of its start, or within `ms` of the moment the storage began
 * failing (so a request that started during an outage does not extend it). The work itself is aborted by the
 * caller or dies with the client.
 */
function withDeadline<T>(work: Promise<T>, ms: number, what: string, clock: FailureClock): Promise<T> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setInterval(
      () => {
        const now = Date.now();
        const since = Math.min(started, clock.failingSince ?? started);
        if (now - since < ms) return;
        const error = new Error(`${what}: no success within ${ms / 1000} s (backups.storageTimeout)`);
        error.name = STORAGE_DEADLINE;
        reject(error);
      },
      Math.min(250, ms),
    );
    // a pending request keeps the process alive on its own; the timer must not hold it after a failure
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearInterval(timer));
}

export function createS3Storage(options: S3StorageOptions): BackupStorage {
  // one retry layer: the SDK's standard strategy (its own exponential backoff with jitter and retry quota)
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    maxAttempts: options.retry.attempts,
    retryMode: 'standard',
    // checksums computed by the SDK's newer defaults are not understood by every S3-compatible server
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // a total deadline per request, retries included (a multipart part is one request)
  const deadline: Middleware = (next, context) => (args) =>
    withDeadline(
      next(args),
      options.timeoutMs,
      `S3 ${String(context.commandName ?? 'request')}`,
      clock,
    ).catch((error: Error) => {
      // a multipart upload fails as soon as one of its requests ran out of time (see putStream)
      const key = (args as { input?: { Key?: string } }).input?.Key;
      if (error.name === STORAGE_DEADLINE && key)
        for (const listener of deadlineListeners) listener(key, error);
      throw error;
    });
  const clock: FailureClock = { failingSince: undefined };
  const deadlineListeners = new Set<(key: string, error: Error) => void>();
  client.middlewareStack.add(deadline as never, { step: 'initialize', name: 'preflightDeadline' });
  // reports each retry the SDK makes (its amz-sdk-request header counts the attempts)
  const reportRetry: Middleware = (next) => (args) => {
    const header = (args.request as { headers?: Record<string, string> }).headers?.['amz-sdk-request'];
    const attempt = Number(/attempt=(\d+)/.exec(header ?? '')?.[1] ?? 1);
    if (attempt > 1) options.onRetry?.(attempt - 1);
    // every attempt's outcome: an answer stops the failure clock, a failure without one starts it
    return next(args).then(
      (result) => {
        clock.failingSince = undefined;
        return result;
      },
      (error: { $metadata?: { httpStatusCode?: number } }) => {
        if (error?.$metadata?.httpStatusCode === undefined) clock.failingSince ??= Date.now();
        else clock.failingSince = undefined;
        throw error;
      },
    );
  };
  client.middlewareStack.addRelativeTo(reportRetry as never, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'preflightRetryReport',
  });
  const fullKey = (key: string) => (options.prefix ? `${options.prefix}/${key}` : key);
  const where = (key: string) => `s3://${options.bucket}/${fullKey(key)}`;
  const timed = () => ({ abortSignal: AbortSignal.timeout(options.timeoutMs) });

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
      // lib-storage waits for its other parts and its own abort before done() rejects: a part out of time ends it now
      let onDeadline: ((key: string, error: Error) => void) | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        onDeadline = (requestKey, error) => {
          if (requestKey === fullKey(key)) reject(error);
        };
        deadlineListeners.add(onDeadline);
      });
      const done = upload.done();
      done.catch(() => undefined);
      try {
        await Promise.race([done, timedOut]);
        if (sourceError) throw sourceError;
      } catch (error) {
        // the source may fail in turn once the upload gave up: report whichever failed first
        const sourceFailedFirst = sourceError;
        // in the background: lib-storage aborts the multipart upload itself (a lifecycle rule removes what it cannot)
        abort();
        if (sourceFailedFirst) throw sourceFailedFirst;
        throw toStorageError(error, 'upload to', where(key));
      } finally {
        if (onDeadline) deadlineListeners.delete(onDeadline);
        putOptions.signal?.removeEventListener('abort', abort);
      }
    },
    async putBytes(key, data) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: fullKey(key),
            Body: typeof data === 'string' ? Buffer.from(data) : data,
          }),
          timed(),
        );
      } catch (error) {
        throw toStorageError(error, 'upload to', where(key));
      }
    },
    async getStream(key) {
      try {
        // no abort signal: it would cut a long download; the deadline middleware covers the wait for the answer
        const response = await client.send(
          new GetObjectCommand({ Bucket: options.bucket, Key: fullKey(key) }),
        );
        return response.Body as Readable;
      } catch (error) {
        throw toStorageError(error, 'download of', where(key));
      }
    },
    async getBytes(key) {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: options.bucket, Key: fullKey(key) }),
          timed(),
        );
        return Buffer.from(
          await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
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
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: options.bucket,
              Prefix: fullKey(prefix),
              ContinuationToken: token,
            }),
            timed(),
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
      const refused: Array<{ key: string; code: string; message: string }> = [];
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        let result: DeleteObjectsCommandOutput;
        try {
          // not Quiet: the answer lists what was deleted and, in Errors, every key the server refused
          result = await client.send(
            new DeleteObjectsCommand({
              Bucket: options.bucket,
              Delete: { Objects: batch.map((k) => ({ Key: fullKey(k) })), Quiet: false },
            }),
            timed(),
          );
        } catch (error) {
          throw toStorageError(error, 'delete in', where(''));
        }
        for (const e of result.Errors ?? [])
          refused.push({
            key: (e.Key ?? '').slice(options.prefix ? options.prefix.length + 1 : 0),
            code: e.Code ?? 'unknown',
            message: e.Message ?? '',
          });
      }
      if (refused.length > 0) {
        throw new PreflightError(
          'E_STORAGE',
          redact(
            `S3 refused to delete ${refused.length} object(s) in ${where('')}: ${refused
              .map((r) => `${where(r.key)} (${r.code}${r.message ? `: ${r.message}` : ''})`)
              .join('; ')}`,
          ),
          {
            hint: 'the credentials may not delete in this bucket (s3:DeleteObject), or the objects are locked (object lock, legal hold)',
            details: { refused },
          },
        );
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: fullKey(key) }), timed());
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
