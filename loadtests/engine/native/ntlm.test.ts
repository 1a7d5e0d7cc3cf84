/**
 * `params.auth: 'ntlm'` on the native engine: MD4 and NTLMv2 against published test vectors (RFC 1320, MS-NLMP
 * 4.2.4, the davenport NTLM reference), then whole handshakes against a local NTLM server that checks the NTLMv2
 * proof itself (node:crypto HMAC-MD5 over the published NT hash of the password, not preflight's MD4).
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import { runScenario } from '../run.js';
import { lmV2Response, ntlmV2Response, ntowfV2 } from './modules/k6-ntlm.js';
import { md4 } from './modules/md4.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const utf16 = (text: string) => Buffer.from(text, 'utf16le');

describe('NTLM primitives against published vectors', () => {
  it('MD4 matches RFC 1320', () => {
    const vectors: Array<[string, string]> = [
      ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
      ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
      ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
      ['message digest', 'd9130a8164549fe818874806e1c7014b'],
      ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
      ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
    ];
    for (const [input, digest] of vectors) expect(md4(Buffer.from(input)).toString('hex')).toBe(digest);
  });

  it('NTOWFv2, LMv2 and NTProofStr match MS-NLMP 4.2.4; the NTLMv2 response matches the davenport example', () => {
    const hash = ntowfV2('Password', 'User', 'Domain');
    expect(hash.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    const server = hex('0123456789abcdef');
    const client = Buffer.alloc(8, 0xaa);
    expect(lmV2Response(hash, server, client).toString('hex')).toBe(
      '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa',
    );
    const avPairs = Buffer.concat([
      hex('02000c00'),
      utf16('Domain'),
      hex('01000c00'),
      utf16('Server'),
      hex('00000000'),
    ]);
    expect(
      ntlmV2Response(hash, server, client, Buffer.alloc(8), avPairs).subarray(0, 16).toString('hex'),
    ).toBe('68cd0ab851e51c96aabc927bebef6a1c');

    const davenport = ntowfV2('SecREt01', 'user', 'DOMAIN');
    expect(davenport.toString('hex')).toBe('04b8e0ba74289cc540826bab1dee63ae');
    const targetInfo = hex(
      '02000c0044004f004d00410049004e0001000c005300450052005600450052000400140064006f006d00610069006e002e0063006f006d00030022007300650072007600650072002e0064006f006d00610069006e002e0063006f006d0000000000',
    );
    const response = ntlmV2Response(
      davenport,
      server,
      hex('ffffff0011223344'),
      hex('0090d336b734c301'),
      targetInfo,
    );
    expect(response.toString('hex')).toBe(
      'cbabbca713eb795d04c97abc01ee4983' +
        '01010000000000000090d336b734c301ffffff00112233440000000002000c0044004f004d00410049004e0001000c005300450052005600450052000400140064006f006d00610069006e002e0063006f006d00030022007300650072007600650072002e0064006f006d00610069006e002e0063006f006d000000000000000000',
    );
  });
});

/** The NT hash (MD4 of UTF-16LE) of "SecREt01", as published in the davenport reference. */
const NT_HASH = hex('cd06ca7c7e10c99b1d33b7485a2ed808');

/** A local server that authenticates connections with NTLMv2, as IIS does: the handshake and later requests on one socket. */
function ntlmServer(options: { scheme: 'NTLM' | 'Negotiate' }) {
  const stats = { requests: 0, handshakes: 0, sockets: new Set<Socket>(), rejected: 0 };
  const state = new WeakMap<Socket, { challenge?: Buffer; user?: string }>();
  const hmac = (key: Buffer, ...parts: Buffer[]) => {
    const mac = createHmac('md5', key);
    for (const p of parts) mac.update(p);
    return mac.digest();
  };
  const field = (message: Buffer, at: number) =>
    message.subarray(message.readUInt32LE(at + 4), message.readUInt32LE(at + 4) + message.readUInt16LE(at));
  const server = http.createServer((req, res) => {
    stats.requests++;
    stats.sockets.add(req.socket);
    const s = state.get(req.socket) ?? {};
    state.set(req.socket, s);
    const deny = (token?: string) => {
      res.writeHead(401, {
        'www-authenticate': token ? `${options.scheme} ${token}` : options.scheme,
        'content-length': '0',
      });
      res.end();
    };
    if (s.user) {
      res.end(`hello ${s.user}`);
      return;
    }
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== options.scheme || !token) return deny();
    const message = Buffer.from(token, 'base64');
    if (message.subarray(0, 8).toString('latin1') !== 'NTLMSSP\0') return deny();
    const type = message.readUInt32LE(8);
    if (type === 1) {
      s.challenge = randomBytes(8);
      const now = Buffer.alloc(8);
      now.writeBigUInt64LE(BigInt(Date.now()) * 10_000n + 116_444_736_000_000_000n);
      const info = Buffer.concat([
        hex('02000c00'),
        utf16('DOMAIN'),
        hex('01000c00'),
        utf16('SERVER'),
        hex('07000800'),
        now,
        hex('00000000'),
      ]);
      const head = Buffer.alloc(48);
      head.write('NTLMSSP\0', 0, 'latin1');
      head.writeUInt32LE(2, 8);
      head.writeUInt32LE(48, 16);
      // unicode, NTLM, always sign, extended session security, target info, version, 128, key exchange, 56
      head.writeUInt32LE(0xe2898205 >>> 0, 20);
      s.challenge.copy(head, 24);
      head.writeUInt16LE(info.length, 40);
      head.writeUInt16LE(info.length, 42);
      head.writeUInt32LE(48, 44);
      stats.handshakes++;
      return deny(Buffer.concat([head, info]).toString('base64'));
    }
    if (type === 3 && s.challenge) {
      const nt = field(message, 20);
      const lm = field(message, 12);
      const domain = field(message, 28).toString('utf16le');
      const user = field(message, 36).toString('utf16le');
      const flags = message.readUInt32LE(60);
      const v2 = hmac(NT_HASH, utf16(user.toUpperCase() + domain));
      const proof = hmac(v2, s.challenge, nt.subarray(16));
      const keyExchangeOrVersion = (flags & 0x42000000) !== 0;
      if (proof.equals(nt.subarray(0, 16)) && lm.equals(Buffer.alloc(24)) && !keyExchangeOrVersion) {
        s.user = `${domain}\\${user}`;
        res.end(`hello ${s.user}`);
        return;
      }
      stats.rejected++;
      s.challenge = undefined;
      return deny();
    }
    deny();
  });
  return { server, stats };
}

/** A script of one iteration on one VU whose default function is `body`. */
const oneIteration = (body: string) =>
  writeScript(`
import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1, vus: 1 };
export default function () {
${body}`);

describe('params.auth ntlm', () => {
  const ntlm = ntlmServer({ scheme: 'NTLM' });
  const negotiate = ntlmServer({ scheme: 'Negotiate' });
  let port = 0;
  let negotiatePort = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => ntlm.server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => negotiate.server.listen(0, '127.0.0.1', resolve));
    port = (ntlm.server.address() as AddressInfo).port;
    negotiatePort = (negotiate.server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    for (const { stats } of [ntlm, negotiate]) {
      stats.requests = 0;
      stats.handshakes = 0;
      stats.rejected = 0;
      stats.sockets.clear();
    }
  });
  afterAll(async () => {
    for (const s of [ntlm.server, negotiate.server]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('authenticates a synchronous script as k6 does: anonymous, NEGOTIATE, AUTHENTICATE on one connection, then the connection goes through at once', async () => {
    const script = oneIteration(`
  const first = http.get('http://DOMAIN%5Cuser:SecREt01@127.0.0.1:${port}/', { auth: 'ntlm' });
  const again = http.get('http://DOMAIN%5Cuser:SecREt01@127.0.0.1:${port}/', { auth: 'ntlm' });
  check(first, { 'first is 200': (r) => r.status === 200, 'first body': (r) => r.body === 'hello DOMAIN\\\\user' });
  check(again, { 'again is 200': (r) => r.status === 200 });
}
`);
    const run = await runScenario({ scenario: script, engine: 'native', resultsDir: false });
    expect(run.summary.metrics.checks?.values.rate).toBe(1);
    // 3 round trips for the first request (each is an http_reqs sample, as in k6), 1 for the second
    expect(run.summary.metrics.http_reqs?.values.count).toBe(4);
    expect(ntlm.stats).toMatchObject({ requests: 4, handshakes: 1, rejected: 0 });
    expect(ntlm.stats.sockets.size).toBe(1);
  });

  it('answers a server that offers only Negotiate; a wrong password ends in the 401', async () => {
    const script = oneIteration(`
  const ok = http.get('http://DOMAIN%5Cuser:SecREt01@127.0.0.1:${negotiatePort}/', { auth: 'ntlm' });
  const wrong = http.get('http://DOMAIN%5Cother:nope@127.0.0.1:${negotiatePort}/', { auth: 'ntlm' });
  check(ok, { 'ok is 200': (r) => r.status === 200 });
  check(wrong, { 'wrong is 401': (r) => r.status === 401 });
}
`);
    const run = await runScenario({ scenario: script, engine: 'native', resultsDir: false });
    expect(run.summary.metrics.checks?.values.rate).toBe(1);
    expect(negotiate.stats).toMatchObject({ handshakes: 2, rejected: 1 });
  });

  it("never lets one VU ride on another VU's authenticated connection; an http.batch of NTLM requests authenticates", async () => {
    // even VUs have the right password, odd ones a wrong one: a wrong VU may never see a 200
    const script = writeScript(`
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
export const options = { iterations: 96, vus: 8 };
export default function () {
  const good = exec.vu.idInTest % 2 === 0;
  const url = good
    ? 'http://DOMAIN%5Cuser:SecREt01@127.0.0.1:${port}/'
    : 'http://DOMAIN%5Cuser:wrong@127.0.0.1:${port}/';
  // pauses of different lengths, so that idle connections change hands between VUs
  sleep(Math.random() * 0.02);
  const res = http.get(url, { auth: 'ntlm' });
  check(res, { 'status as the password says': (r) => r.status === (good ? 200 : 401) });
  if (good) {
    const batch = http.batch([
      ['GET', url, null, { auth: 'ntlm' }],
      ['GET', url, null, { auth: 'ntlm' }],
    ]);
    check(batch, { 'batch authenticated': (b) => b.every((r) => r.status === 200) });
  }
}
`);
    const run = await runScenario({ scenario: script, engine: 'native', resultsDir: false });
    expect(run.summary.metrics.checks?.values.rate).toBe(1);
    expect(run.summary.iterationErrors).toBe(0);
  });
});
