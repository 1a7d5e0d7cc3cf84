import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EmbeddedJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  breakSignature,
  crackHmacSecret,
  decodeJwt,
  isPublicKeyPem,
  maskSecret,
  signHs256,
  signNone,
  signWithEmbeddedJwk,
} from './jwt-tokens.js';
import { composeSecrets, readBundledSecrets } from './wordlist/compose.js';

async function tokenSignedWith(secret: string): Promise<string> {
  return new SignJWT({ email: 'a@example.com', typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('01J0000000000000000000000A')
    .setIssuedAt()
    .setExpirationTime('60m')
    .sign(new TextEncoder().encode(secret));
}

describe('JWT forging and cracking', () => {
  it('cracks a token signed (by jose) with a wordlist secret, and not one signed with a random secret', async () => {
    expect(crackHmacSecret(await tokenSignedWith('changeme'), readBundledSecrets())).toBe('changeme');
    expect(
      crackHmacSecret(await tokenSignedWith('Kq8v2-random-and-long-secret-9f0e1d'), readBundledSecrets()),
    ).toBeUndefined();
  });

  it('masks a recovered secret to its first and last characters', () => {
    expect(maskSecret('changeme')).toBe('c******e (8 chars)');
    expect(maskSecret('ab')).toBe('** (2 chars)');
  });

  it('forges tokens that are malformed on purpose', async () => {
    const token = await tokenSignedWith('changeme');
    const decoded = decodeJwt(token)!;
    expect(decodeJwt(signNone(decoded.payload, 'nOnE'))!.header.alg).toBe('nOnE');
    expect(signNone(decoded.payload, 'none').endsWith('.')).toBe(true);
    const broken = breakSignature(token);
    expect(broken).not.toBe(token);
    await expect(jwtVerify(broken, new TextEncoder().encode('changeme'))).rejects.toThrow();
    // an HS256 token re-signed with the known key verifies with that key
    const resigned = signHs256(decoded.header, { ...decoded.payload, exp: 1 }, 'changeme');
    await expect(
      jwtVerify(resigned, new TextEncoder().encode('changeme'), { currentDate: new Date(0) }),
    ).resolves.toBeDefined();
    // the embedded-jwk token verifies only for a verifier that trusts the header's key (what the probe exposes)
    await expect(jwtVerify(signWithEmbeddedJwk(decoded.payload), EmbeddedJWK)).resolves.toBeDefined();
  });
});

describe('--jwt-public-key', () => {
  it('accepts a PEM public key and refuses a private key or junk', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(isPublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(true);
    expect(isPublicKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toBe(false);
    expect(isPublicKeyPem('not a key')).toBe(false);
  });
});

describe('bundled wordlist', () => {
  it('holds at least 1,000 secrets including changeme, and is exactly what compose.ts generates', () => {
    const bundled = readBundledSecrets();
    expect(bundled.length).toBeGreaterThanOrEqual(1000);
    expect(bundled).toContain('changeme');
    expect(new Set(bundled).size).toBe(bundled.length);
    expect(bundled).toEqual(composeSecrets());
    expect(readFileSync(new URL('./wordlist/jwt-secrets.txt', import.meta.url), 'utf8').endsWith('\n')).toBe(
      true,
    );
  });
});
