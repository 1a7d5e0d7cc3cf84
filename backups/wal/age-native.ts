/**
 * age files with the payload sealed by Node's native ChaCha20-Poly1305 (OpenSSL) instead of JavaScript: a 16 MiB
 * segment in a few milliseconds rather than a few hundred. The header (recipient stanzas, HMAC) still comes from the
 * age-encryption reference implementation, which hands us the file key through a recipient that adds no stanza;
 * the payload follows the age v1 spec: key = HKDF-SHA256(file key, salt = 16-byte nonce, "payload"), 64 KiB chunks,
 * nonce = 11-byte big-endian counter + 1 final-chunk byte. The output is a plain age file (`age -d` reads it; the
 * test checks both ways).
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { Decrypter, Encrypter, type Stanza } from 'age-encryption';

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;

function getPayloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encrypts `plain` to the recipients (age1...). */
export async function encryptAge(plain: Uint8Array, recipients: string[]): Promise<Buffer> {
  let fileKey: Uint8Array | undefined;
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  encrypter.addRecipient({
    wrapFileKey(key: Uint8Array): Stanza[] {
      fileKey = key;
      return [];
    },
  });
  // an empty file: header, nonce, one empty final chunk (its tag)
  const empty = await encrypter.encrypt(new Uint8Array(0));
  if (!fileKey) throw new Error('age-encryption did not hand over the file key');
  const headerAndNonce = empty.subarray(0, empty.length - TAG);
  const key = getPayloadKey(fileKey, headerAndNonce.subarray(headerAndNonce.length - NONCE));
  const chunks = Math.max(1, Math.ceil(plain.length / CHUNK));
  const out = Buffer.allocUnsafe(headerAndNonce.length + plain.length + chunks * TAG);
  out.set(headerAndNonce, 0);
  let offset = headerAndNonce.length;
  for (let i = 0; i < chunks; i++) {
    const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(i, i === chunks - 1), {
      authTagLength: TAG,
    });
    const sealed = cipher.update(plain.subarray(i * CHUNK, (i + 1) * CHUNK));
    cipher.final();
    out.set(sealed, offset);
    offset += sealed.length;
    out.set(cipher.getAuthTag(), offset);
    offset += TAG;
  }
  return out;
}

/** The length of an age file's header: through the `--- <mac>` line. */
function getHeaderLength(file: Uint8Array): number {
  const text = Buffer.from(file.buffer, file.byteOffset, Math.min(file.length, 64 * 1024)).toString('latin1');
  // the first "\n--- " is the header's: stanza lines are base64 and the binary payload comes after it
  const at = text.indexOf('\n--- ');
  const end = at < 0 ? -1 : text.indexOf('\n', at + 1);
  if (end < 0) throw new Error('not an age file: no header MAC line');
  return end + 1;
}

/**
 * Decrypts with the identities (AGE-SECRET-KEY-1...). The header (and its MAC) is checked by age-encryption; a
 * wrong identity throws its "no identity matched" error, a damaged payload "age payload chunk N failed to
 * authenticate".
 */
export async function decryptAge(file: Uint8Array, identities: string[]): Promise<Buffer> {
  const headerLength = getHeaderLength(file);
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  const fileKey = await decrypter.decryptHeader(file.subarray(0, headerLength));
  const nonce = file.subarray(headerLength, headerLength + NONCE);
  if (nonce.length < NONCE) throw new Error('age file truncated: no payload nonce');
  const key = getPayloadKey(fileKey, nonce);
  const payload = file.subarray(headerLength + NONCE);
  const chunks = Math.max(1, Math.ceil(payload.length / (CHUNK + TAG)));
  const out = Buffer.allocUnsafe(Math.max(0, payload.length - chunks * TAG));
  let offset = 0;
  for (let i = 0; i < chunks; i++) {
    const sealed = payload.subarray(i * (CHUNK + TAG), (i + 1) * (CHUNK + TAG));
    const last = i === chunks - 1;
    if (sealed.length < TAG || (last && sealed.length === TAG && chunks > 1))
      throw new Error(`age payload truncated at chunk ${i}`);
    const decipher = createDecipheriv('chacha20-poly1305', key, chunkNonce(i, last), { authTagLength: TAG });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
    try {
      decipher.final();
    } catch {
      throw new Error(`age payload chunk ${i} failed to authenticate`);
    }
    out.set(plain, offset);
    offset += plain.length;
  }
  return out;
}
