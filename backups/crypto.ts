/** age encryption and decryption of Node streams (the age-encryption reference implementation), plus sha256 counting. */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import { PreflightError } from '../src/core/errors.js';

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

/**
 * The identities in an age key file as `age-keygen` writes it (comment lines, blank lines, one or more
 * AGE-SECRET-KEY-1... lines), or a bare identity. Nothing of the text is echoed in errors.
 */
export function parseAgeIdentities(text: string): string[] {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(line)) {
      throw new PreflightError(
        'E_DECRYPT',
        `The age identity is not valid: line ${index + 1} is not an AGE-SECRET-KEY-1... identity`,
        {
          hint: 'use the key file age-keygen wrote (comments are fine), via backups.ageIdentityFile or the variable named by backups.ageIdentityEnv',
          details: { keyProblem: true },
        },
      );
    }
    identities.push(line);
  }
  if (identities.length === 0) {
    throw new PreflightError('E_DECRYPT', 'The age identity holds no AGE-SECRET-KEY-1... line', {
      hint: 'use the key file age-keygen wrote, via backups.ageIdentityFile or the variable named by backups.ageIdentityEnv',
      details: { keyProblem: true },
    });
  }
  return identities;
}

/** Fails with E_DECRYPT, naming the backup's recipients, when none of the identities is one of them. */
export async function assertIdentityMatches(identities: string[], recipients: string[]): Promise<void> {
  const own = await Promise.all(identities.map((i) => identityToRecipient(i)));
  if (recipients.length === 0 || own.some((r) => recipients.includes(r))) return;
  throw new PreflightError(
    'E_DECRYPT',
    `The age identity matches none of the recipients this backup was encrypted to: ${recipients.join(', ')}`,
    {
      hint: "use the identity of one of those recipients (age-keygen -y key.txt prints a key file's recipient); the backup itself is not affected",
      details: { keyProblem: true },
    },
  );
}

/** Decrypts with the identities (a key file's text); a wrong identity or tampered ciphertext becomes E_DECRYPT. */
export async function decryptStream(
  cipher: Readable,
  identity: string,
  objectName: string,
): Promise<Readable> {
  const decrypter = new Decrypter();
  for (const one of parseAgeIdentities(identity)) {
    try {
      decrypter.addIdentity(one);
    } catch (error) {
      throw new PreflightError('E_DECRYPT', `The age identity is not valid: ${(error as Error).message}`, {
        hint: 'set the variable named by backups.ageIdentityEnv to an AGE-SECRET-KEY-1... identity',
        details: { keyProblem: true },
      });
    }
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
    details: { keyProblem: wrongKey },
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
