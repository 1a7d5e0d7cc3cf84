/** age encryption and decryption of Node streams (the age-encryption reference implementation), plus sha256 counting. */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter } from 'age-encryption';
import { PreflightError } from '../src/errors.js';

/** A short public fingerprint of a recipient, for the manifest. */
export function getRecipientFingerprint(recipient: string): string {
  return `SHA256:${createHash('sha256').update(recipient).digest('base64').replace(/=+$/, '')}`;
}

export function encryptStream(plain: Readable, recipients: string[]): Promise<Readable> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter
    .encrypt(Readable.toWeb(plain) as unknown as ReadableStream<Uint8Array>)
    .then((encrypted) => Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>));
}

/** Decrypts with the identity; a wrong identity or tampered ciphertext becomes E_DECRYPT. */
export async function decryptStream(
  cipher: Readable,
  identity: string,
  objectName: string,
): Promise<Readable> {
  const decrypter = new Decrypter();
  try {
    decrypter.addIdentity(identity.trim());
  } catch (error) {
    throw new PreflightError('E_DECRYPT', `The age identity is not valid: ${(error as Error).message}`, {
      hint: 'set the variable named by backups.ageIdentityEnv to an AGE-SECRET-KEY-1... identity',
    });
  }
  try {
    const plain = await decrypter.decrypt(Readable.toWeb(cipher) as unknown as ReadableStream<Uint8Array>);
    return Readable.fromWeb(plain as unknown as WebReadableStream<Uint8Array>);
  } catch (error) {
    throw toDecryptError(error, objectName);
  }
}

export function toDecryptError(error: unknown, objectName: string): PreflightError {
  if (error instanceof PreflightError) return error;
  const message = (error as Error)?.message ?? String(error);
  const wrongKey = /no identity matched/i.test(message);
  return new PreflightError('E_DECRYPT', `Cannot decrypt ${objectName}: ${message}`, {
    cause: error,
    hint: wrongKey
      ? 'the age identity does not match any recipient of this backup: use the identity whose public key is listed in the manifest (encryption.recipients)'
      : 'the object is damaged or was not written by preflight',
  });
}

/** Passes bytes through while counting them and hashing them with sha256. */
export function createDigestTap(): Transform & { readonly bytes: number; digest(): string } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  }) as Transform & { readonly bytes: number; digest(): string };
  Object.defineProperty(tap, 'bytes', { get: () => bytes });
  let digest: string | undefined;
  tap.digest = () => {
    digest ??= hash.digest('hex');
    return digest;
  };
  return tap;
}
