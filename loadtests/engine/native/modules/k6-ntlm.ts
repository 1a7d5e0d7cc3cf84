/**
 * NTLM for `params.auth: 'ntlm'` (k6 uses go-ntlmssp): NTLMv2 only, as MS-NLMP describes it. The messages: a
 * NEGOTIATE, the server's CHALLENGE read, an AUTHENTICATE with the NTLMv2 response. No signing or sealing (HTTP
 * authentication needs neither). The handshake itself (three requests on one connection) is in k6-http.ts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { md4 } from './md4.js';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

const FLAG = {
  unicode: 0x00000001,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  n128: 0x20000000,
  keyExchange: 0x40000000,
  n56: 0x80000000,
} as const;

/** AV_PAIR ids of the target info (MS-NLMP 2.2.2.1). */
const AV_EOL = 0;
const AV_TIMESTAMP = 7;

const utf16 = (text: string) => Buffer.from(text, 'utf16le');

const hmacMd5 = (key: Buffer, ...parts: Buffer[]) => {
  const mac = createHmac('md5', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/** The NEGOTIATE message, base64 (what follows `NTLM ` in the first Authorization header). */
export function ntlmNegotiate(): string {
  const message = Buffer.alloc(32);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  const flags =
    FLAG.unicode |
    FLAG.requestTarget |
    FLAG.ntlm |
    FLAG.alwaysSign |
    FLAG.extendedSessionSecurity |
    FLAG.targetInfo |
    FLAG.n128 |
    FLAG.n56;
  message.writeUInt32LE(flags >>> 0, 12);
  // empty domain and workstation fields, pointing at the end of the message
  message.writeUInt32LE(32, 20);
  message.writeUInt32LE(32, 28);
  return message.toString('base64');
}

export interface NtlmChallenge {
  flags: number;
  serverChallenge: Buffer;
  /** The raw AV_PAIR list, when the server sent one. */
  targetInfo: Buffer | undefined;
  /** MsvAvTimestamp from the target info (8 bytes, FILETIME), when present. */
  timestamp: Buffer | undefined;
}

/** Reads a CHALLENGE message (base64), or undefined when it is not one. */
export function parseNtlmChallenge(base64: string): NtlmChallenge | undefined {
  const message = Buffer.from(base64, 'base64');
  if (message.length < 32 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 2)
    return undefined;
  const flags = message.readUInt32LE(20);
  const serverChallenge = Buffer.from(message.subarray(24, 32));
  let targetInfo: Buffer | undefined;
  let timestamp: Buffer | undefined;
  if (message.length >= 48) {
    const length = message.readUInt16LE(40);
    const offset = message.readUInt32LE(44);
    if (length > 0 && offset + length <= message.length) {
      targetInfo = Buffer.from(message.subarray(offset, offset + length));
      for (let at = 0; at + 4 <= targetInfo.length; ) {
        const id = targetInfo.readUInt16LE(at);
        const size = targetInfo.readUInt16LE(at + 2);
        if (id === AV_EOL) break;
        if (id === AV_TIMESTAMP && size === 8) timestamp = Buffer.from(targetInfo.subarray(at + 4, at + 12));
        at += 4 + size;
      }
    }
  }
  return { flags, serverChallenge, targetInfo, timestamp };
}

/** `DOMAIN\user` gives the domain; `user@domain` and a bare name are the user name with no domain (as go-ntlmssp). */
export function splitNtlmUser(username: string): { user: string; domain: string } {
  const slash = username.indexOf('\\');
  return slash >= 0
    ? { user: username.slice(slash + 1), domain: username.slice(0, slash) }
    : { user: username, domain: '' };
}

/** NTOWFv2: HMAC-MD5 of the upper-cased user and the domain, keyed by MD4 of the password (UTF-16LE). */
export function ntowfV2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(md4(utf16(password)), utf16(user.toUpperCase() + domain));
}

/** The NTLMv2 response: NTProofStr followed by the blob it proves (MS-NLMP 3.3.2). */
export function ntlmV2Response(
  hash: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: Buffer,
  targetInfo: Buffer,
): Buffer {
  const blob = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    targetInfo,
    Buffer.alloc(4),
  ]);
  return Buffer.concat([hmacMd5(hash, serverChallenge, blob), blob]);
}

/** The LMv2 response: HMAC-MD5 over both challenges, then the client's. */
export function lmV2Response(hash: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(hash, serverChallenge, clientChallenge), clientChallenge]);
}

/** Windows FILETIME (100 ns since 1601) for `ms` since the Unix epoch, 8 bytes little-endian. */
function fileTime(ms: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(Math.round(ms)) * 10_000n + 116_444_736_000_000_000n);
  return out;
}

/** The AUTHENTICATE message (base64) answering `challenge` for `username` (`DOMAIN\user` or `user`) and `password`. */
export function ntlmAuthenticate(
  challenge: NtlmChallenge,
  username: string,
  password: string,
  fixed: { clientChallenge?: Buffer; nowMs?: number } = {},
): string {
  const { user, domain } = splitNtlmUser(username);
  const hash = ntowfV2(password, user, domain);
  const clientChallenge = fixed.clientChallenge ?? randomBytes(8);
  const timestamp = challenge.timestamp ?? fileTime(fixed.nowMs ?? Date.now());
  const nt = ntlmV2Response(
    hash,
    challenge.serverChallenge,
    clientChallenge,
    timestamp,
    challenge.targetInfo ?? Buffer.alloc(0),
  );
  // with the server's timestamp the LM response is 24 zero bytes (MS-NLMP 3.1.5.1.2), else LMv2
  const lm = challenge.timestamp
    ? Buffer.alloc(24)
    : lmV2Response(hash, challenge.serverChallenge, clientChallenge);
  const fields = [lm, nt, utf16(domain), utf16(user), Buffer.alloc(0)];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = 64;
  fields.forEach((field, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(field.length, at);
    header.writeUInt16LE(field.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += field.length;
  });
  // no encrypted session key: an empty field at the end
  header.writeUInt32LE(offset, 12 + 5 * 8 + 4);
  // the server's flags, without the Version field and key exchange this message does not carry
  const flags = (challenge.flags & ~FLAG.version & ~FLAG.keyExchange) >>> 0;
  header.writeUInt32LE(flags, 60);
  return Buffer.concat([header, ...fields]).toString('base64');
}

/** Where a request's NTLM handshake is: the anonymous try, the NEGOTIATE sent, or done. */
export interface NtlmHandshake {
  username: string;
  password: string;
  step: 'anonymous' | 'negotiate' | 'done';
  /** `NTLM`, or `Negotiate` when the server offers only that (its tokens are then NTLM messages). */
  scheme: string;
}

const offerPattern = /^\s*(NTLM|Negotiate)(?:\s+([A-Za-z0-9+/=]+))?\s*$/i;

/**
 * The Authorization header that answers a 401 at this step of the handshake, or undefined when the 401 is the
 * response (the server offered no NTLM, sent no readable challenge, or refused the AUTHENTICATE). As go-ntlmssp:
 * the request first goes without credentials (a connection authenticated before needs none), then NEGOTIATE,
 * then AUTHENTICATE.
 */
export function nextNtlmAuthorization(state: NtlmHandshake, wwwAuthenticate: string[]): string | undefined {
  const offers = wwwAuthenticate
    .flatMap((value) => value.split(','))
    .map((value) => offerPattern.exec(value))
    .filter((match): match is RegExpExecArray => match !== null);
  if (state.step === 'anonymous') {
    const offer =
      offers.find((o) => o[1]!.toUpperCase() === 'NTLM') ??
      offers.find((o) => o[1]!.toLowerCase() === 'negotiate');
    if (!offer) return undefined;
    state.scheme = offer[1]!.toUpperCase() === 'NTLM' ? 'NTLM' : 'Negotiate';
    state.step = 'negotiate';
    return `${state.scheme} ${ntlmNegotiate()}`;
  }
  if (state.step === 'negotiate') {
    const token = offers.find((o) => o[1]!.toLowerCase() === state.scheme.toLowerCase() && o[2])?.[2];
    const challenge = token ? parseNtlmChallenge(token) : undefined;
    if (!challenge) return undefined;
    state.step = 'done';
    return `${state.scheme} ${ntlmAuthenticate(challenge, state.username, state.password)}`;
  }
  return undefined;
}
