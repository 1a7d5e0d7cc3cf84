import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../test/helpers/certificate.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { tryHandshake } from './tls.js';

/** The headers probe in a child process that trusts `cert` (NODE_EXTRA_CA_CERTS): TLS stays verified. */
async function runHeadersProbe(
  url: string,
  cert: string,
): Promise<Array<{ ruleId: string; detail: string }>> {
  const caFile = join(makeTempDir('preflight-tls-ca-'), 'ca.pem');
  writeFileSync(caFile, cert);
  const script = join(import.meta.dirname, '..', 'test', 'run-headers-probe.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, url], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, TSX_DISABLE_CACHE: '1' },
  });
  return JSON.parse(stdout) as Array<{ ruleId: string; detail: string }>;
}

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
    const certificate = await makeCertificate(5, { ipSan: true });
    const url = await startHttps({ ...certificate, minVersion: 'TLSv1.2' });
    const findings = await runHeadersProbe(url, certificate.cert);
    expect(findings.map((f) => f.ruleId)).toEqual(['TLS-CERT-EXPIRY']);
    expect(findings[0]!.detail).toMatch(/certificate expires in [45] days/);
  }, 60_000);

  it('reports TLS 1.0 and 1.1 on a server that completes them, and not on a TLS 1.2-only server', async () => {
    const certificate = await makeCertificate(365, { ipSan: true });
    const lenient = await startHttps({ ...certificate, minVersion: 'TLSv1' });
    const findings = await runHeadersProbe(lenient, certificate.cert);
    expect(findings.filter((f) => f.ruleId === 'TLS-OLD-VERSION').map((f) => f.detail)).toEqual([
      'TLSv1 handshake completed',
      'TLSv1.1 handshake completed',
    ]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const strict = await startHttps({ ...certificate, minVersion: 'TLSv1.2' });
    const port = Number(new URL(strict).port);
    expect((await tryHandshake('127.0.0.1', port, 'TLSv1')).accepted).toBe(false);
    expect((await tryHandshake('127.0.0.1', port, 'TLSv1.2')).accepted).toBe(true);
  }, 60_000);
});
