import { createServer, type Server } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../test/helpers/certificate.js';
import { createLocalContext } from '../test/context.js';
import { headersProbe } from './headers.js';
import { tryHandshake } from './tls.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function startHttps(options: {
  key: string;
  cert: string;
  minVersion: 'TLSv1' | 'TLSv1.2';
}): Promise<string> {
  server = createServer({ ...options, ciphers: 'DEFAULT:@SECLEVEL=0' }, (_req, res) => {
    res.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    res.setHeader('referrer-policy', 'no-referrer');
    res.end('{"status":"healthy"}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

describe('TLS checks against a real https server (node:tls)', () => {
  it('reports a certificate that expires within 30 days and accepts a TLS 1.2-only server', async () => {
    const url = await startHttps({ ...(await makeCertificate(5)), minVersion: 'TLSv1.2' });
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const { findings } = await headersProbe.run(createLocalContext(url));
      expect(findings.map((f) => f.ruleId)).toEqual(['TLS-CERT-EXPIRY']);
      expect(findings[0]!.detail).toMatch(/certificate expires in [45] days/);
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    }
  }, 60_000);

  it('reports TLS 1.0 and 1.1 on a server that completes them, and not on a TLS 1.2-only server', async () => {
    const certificate = await makeCertificate(365);
    const lenient = await startHttps({ ...certificate, minVersion: 'TLSv1' });
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const { findings } = await headersProbe.run(createLocalContext(lenient));
      expect(findings.filter((f) => f.ruleId === 'TLS-OLD-VERSION').map((f) => f.detail)).toEqual([
        'TLSv1 handshake completed',
        'TLSv1.1 handshake completed',
      ]);
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    }
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const strict = await startHttps({ ...certificate, minVersion: 'TLSv1.2' });
    const port = Number(new URL(strict).port);
    expect((await tryHandshake('127.0.0.1', port, 'TLSv1')).accepted).toBe(false);
    expect((await tryHandshake('127.0.0.1', port, 'TLSv1.2')).accepted).toBe(true);
  }, 60_000);
});
