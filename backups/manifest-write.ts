/** What every backup manifest (logical or base) records the same way, and how it is written: last, to make the backup complete. */
import { getRecipientFingerprint } from './crypto.js';
import { getBasePrefix, getObjectKey, getWalPrefix, MANIFEST_OBJECT } from './layout.js';
import type { AnyBackupManifest } from './manifest.js';
import type { BackupStorage } from './storage/index.js';

/** The age recipients a backup was encrypted to, with their fingerprints (to name the one a key must match). */
export function describeEncryption(recipients: string[]): AnyBackupManifest['encryption'] {
  return {
    tool: 'age',
    recipients: recipients.map((recipient) => ({
      recipient,
      fingerprint: getRecipientFingerprint(recipient),
    })),
  };
}

/** Where the target's base backups and WAL archive live in the storage. */
export function describeLayout(target: string): AnyBackupManifest['layout'] {
  return { base: getBasePrefix(target), wal: getWalPrefix(target) };
}

/** Written last: the manifest's presence is what makes a backup complete. */
export async function writeManifest(storage: BackupStorage, manifest: AnyBackupManifest): Promise<void> {
  await storage.putBytes(
    getObjectKey(manifest.target, manifest.id, MANIFEST_OBJECT),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
}
