/** The `k6/encoding` module: base64 in k6's four variants (std, rawstd, url, rawurl). */
import { esModule } from './es-module.js';

type Variant = 'std' | 'rawstd' | 'url' | 'rawurl';

function checkVariant(encoding: string): Variant {
  if (encoding === 'std' || encoding === 'rawstd' || encoding === 'url' || encoding === 'rawurl')
    return encoding;
  throw new Error(`unsupported base64 encoding "${encoding}": use std, rawstd, url or rawurl`);
}

function toBytes(input: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return Buffer.from(input);
}

/** `b64encode(input, encoding = 'std')`. */
export function b64encode(input: string | ArrayBuffer, encoding = 'std'): string {
  const variant = checkVariant(encoding);
  const bytes = toBytes(input);
  if (variant === 'rawurl') return bytes.toString('base64url');
  if (variant === 'url') {
    const text = bytes.toString('base64url');
    return text + '='.repeat((4 - (text.length % 4)) % 4);
  }
  const text = bytes.toString('base64');
  return variant === 'rawstd' ? text.replace(/=+$/, '') : text;
}

/** `b64decode(input, encoding = 'std', format)`: an ArrayBuffer, or a string when `format` is 's'. */
export function b64decode(input: string, encoding = 'std', format?: string): ArrayBuffer | string {
  const variant = checkVariant(encoding);
  const text = String(input);
  const alphabet = variant === 'std' || variant === 'rawstd' ? /^[A-Za-z0-9+/]*=*$/ : /^[A-Za-z0-9_-]*=*$/;
  if (!alphabet.test(text)) throw new Error(`illegal base64 data for the ${variant} encoding`);
  const bytes = Buffer.from(text, variant === 'std' || variant === 'rawstd' ? 'base64' : 'base64url');
  if (format === 's') return bytes.toString('utf8');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function createEncodingModule() {
  return esModule({ b64encode, b64decode });
}
