/** Downloads a base backup's tar, checks its sha256 against the manifest, decrypts, gunzips and extracts it into a directory. */
import { createGunzip } from 'node:zlib';
import { PreflightError } from '../../src/core/errors.js';
import { runTool } from '../../src/core/process.js';
import { createDigestTap, decryptStream } from '../crypto.js';
import type { BaseBackupManifest } from '../manifest.js';
import type { BackupStorage } from '../storage/index.js';

export async function extractBaseBackup(o: {
  storage: BackupStorage;
  manifest: BaseBackupManifest;
  identity: string;
  dir: string;
}): Promise<{ bytes: number }> {
  const object = o.manifest.objects[0];
  if (!object) throw new PreflightError('E_RESTORE', `Base backup ${o.manifest.id} lists no object`);
  const cipher = await o.storage.getStream(object.key);
  const tap = createDigestTap();
  let streamError: unknown;
  const remember = (error: unknown) => {
    streamError ??= error;
  };
  cipher.on('error', (error) => {
    remember(error);
    tap.destroy(error);
  });
  cipher.pipe(tap);
  const plain = await decryptStream(tap, o.identity, object.name);
  const gunzip = createGunzip();
  plain.on('error', (error) => {
    remember(error);
    gunzip.destroy(error);
  });
  gunzip.on('error', remember);
  plain.pipe(gunzip);
  try {
    await runTool('tar', ['-x', '-f', '-', '-C', o.dir], { input: gunzip, timeoutMs: 6 * 60 * 60 * 1000 });
  } catch (error) {
    throw new PreflightError(
      'E_RESTORE',
      `Cannot extract base backup ${o.manifest.id}: ${String((streamError as Error)?.message ?? (error as Error).message)}`,
      {
        cause: streamError ?? error,
        hint: 'the stored object is damaged or incomplete; restore from another base backup (--base)',
      },
    );
  }
  if (streamError)
    throw new PreflightError(
      'E_RESTORE',
      `Reading base backup ${o.manifest.id} failed: ${(streamError as Error).message}`,
      {
        cause: streamError,
      },
    );
  if (tap.digest() !== object.sha256)
    throw new PreflightError(
      'E_RESTORE',
      `Base backup ${o.manifest.id}: ${object.name} has sha256 ${tap.digest()}, the manifest says ${object.sha256}`,
      { hint: 'the stored object changed after the backup; restore from another base backup (--base)' },
    );
  return { bytes: tap.bytes };
}
