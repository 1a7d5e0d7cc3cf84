/** HTTP Digest authentication (RFC 7616, MD5 and SHA-256, qop "auth"), for k6's `params.auth: 'digest'`. */
import { createHash, randomBytes } from 'node:crypto';

export interface DigestCredentials {
  username: string;
  password: string;
}

/** The parameters of a `WWW-Authenticate: Digest ...` challenge, or undefined for another scheme. */
export function parseDigestChallenge(header: string): Record<string, string> | undefined {
  const match = /^\s*digest\s+(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const part of (match[1] ?? '').matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi))
    params[(part[1] ?? '').toLowerCase()] = part[2] ?? part[3] ?? '';
  return params;
}

/** The `Authorization` value answering `challenge` for `method` on `url`. */
export function createDigestAuthorization(
  challenge: Record<string, string>,
  method: string,
  url: URL,
  credentials: DigestCredentials,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const algorithm = (challenge.algorithm ?? 'MD5').toUpperCase();
  const hashName = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const hash = (text: string) => createHash(hashName).update(text).digest('hex');
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const uri = `${url.pathname}${url.search}`;
  const qop = (challenge.qop ?? '')
    .split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const nc = '00000001';
  let ha1 = hash(`${credentials.username}:${realm}:${credentials.password}`);
  if (algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = qop
    ? hash(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(`${ha1}:${nonce}:${ha2}`);
  const fields = [
    `username="${credentials.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `algorithm=${challenge.algorithm ?? 'MD5'}`,
    `response="${response}"`,
  ];
  if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.opaque !== undefined) fields.push(`opaque="${challenge.opaque}"`);
  return `Digest ${fields.join(', ')}`;
}
