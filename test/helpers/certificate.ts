/** Test certificates made with the real openssl CLI (installed by .ci/run). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../src/core/process.js';

/** A self-signed certificate for 127.0.0.1 valid for `days` days. */
/** A self-signed certificate for CN 127.0.0.1; `ipSan` adds the subjectAltName a client's hostname check needs. */
export async function makeCertificate(
  days: number,
  options: { ipSan?: boolean } = {},
): Promise<{ key: string; cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-tls-'));
  try {
    await runTool('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      String(days),
      '-subj',
      '/CN=127.0.0.1',
      ...(options.ipSan ? ['-addext', 'subjectAltName=IP:127.0.0.1'] : []),
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
