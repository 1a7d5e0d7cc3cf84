/** A tiny write-read-delete before a backup: a storage that cannot take one fails in seconds, before pg_dump starts. */
import { randomBytes } from 'node:crypto';
import { PreflightError } from '../../src/core/errors.js';
import { getTargetPrefix } from '../layout.js';
import type { BackupStorage } from './types.js';

export async function probeStorage(storage: BackupStorage, target: string): Promise<void> {
  // beside the target's base/ prefix: never taken for a backup, and removed at once
  const key = `${getTargetPrefix(target)}.preflight-probe-${randomBytes(6).toString('hex')}`;
  const content = `preflight storage probe ${new Date().toISOString()}`;
  await storage.putBytes(key, content);
  try {
    const back = (await storage.getBytes(key)).toString('utf8');
    if (back !== content) {
      throw new PreflightError(
        'E_STORAGE',
        `Storage ${storage.displayUrl}: a probe object read back differs from what was written`,
        { hint: 'the storage does not keep what it is given; check the endpoint and any proxy in between' },
      );
    }
  } finally {
    await storage.deleteKeys([key]);
  }
}
