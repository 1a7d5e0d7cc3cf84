/** The `k6/crypto` module: hashes, HMAC and random bytes on node:crypto, with k6's names and output encodings. */
import { createHash, createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';
import { esModule } from './es-module.js';
import { b64encode } from './k6-encoding.js';

type Input = string | ArrayBuffer | ArrayBufferView;
type OutputEncoding = 'hex' | 'base64' | 'base64url' | 'base64rawurl' | 'binary';

/** k6's algorithm names to node's. */
const algorithms: Record<string, string> = {
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  ripemd160: 'ripemd160',
};

function toNodeAlgorithm(name: string): string {
  const algorithm = algorithms[name];
  if (!algorithm) throw new Error(`invalid algorithm: ${name}`);
  return algorithm;
}

function toBytes(input: Input): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return Buffer.from(input);
}

function encodeDigest(digest: Buffer, encoding: OutputEncoding | string): string | ArrayBuffer {
  switch (encoding) {
    case 'hex':
      return digest.toString('hex');
    case 'base64':
      return digest.toString('base64');
    case 'base64url':
      return b64encode(
        digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer,
        'url',
      );
    case 'base64rawurl':
      return digest.toString('base64url');
    case 'binary':
      return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer;
    default:
      throw new Error(
        `invalid output encoding: ${encoding} (use hex, base64, base64url, base64rawurl or binary)`,
      );
  }
}

/** What `createHash`/`createHMAC` return: `update()` any number of times, then `digest(encoding)`. */
class Hasher {
  readonly #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>) {
    this.#hash = hash;
  }
  update(input: Input): void {
    this.#hash.update(toBytes(input));
  }
  digest(encoding: OutputEncoding = 'hex'): string | ArrayBuffer {
    return encodeDigest(this.#hash.digest(), encoding);
  }
}

function hash(algorithm: string, input: Input, encoding: OutputEncoding): string | ArrayBuffer {
  return encodeDigest(createHash(toNodeAlgorithm(algorithm)).update(toBytes(input)).digest(), encoding);
}

export function createCryptoModule() {
  const shorthand = (algorithm: string) => (input: Input, encoding: OutputEncoding) =>
    hash(algorithm, input, encoding);
  return esModule({
    md5: shorthand('md5'),
    sha1: shorthand('sha1'),
    sha256: shorthand('sha256'),
    sha384: shorthand('sha384'),
    sha512: shorthand('sha512'),
    sha512_224: shorthand('sha512_224'),
    sha512_256: shorthand('sha512_256'),
    ripemd160: shorthand('ripemd160'),
    hmac: (algorithm: string, secret: Input, data: Input, encoding: OutputEncoding) =>
      encodeDigest(
        createHmac(toNodeAlgorithm(algorithm), toBytes(secret)).update(toBytes(data)).digest(),
        encoding,
      ),
    createHash: (algorithm: string) => new Hasher(createHash(toNodeAlgorithm(algorithm))),
    createHMAC: (algorithm: string, secret: Input) =>
      new Hasher(createHmac(toNodeAlgorithm(algorithm), toBytes(secret))),
    randomBytes: (size: number) => {
      const bytes = nodeRandomBytes(Number(size));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  });
}
