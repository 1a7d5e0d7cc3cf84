/** TLS checks for https targets with node:tls: which old protocol versions the server still completes, and certificate expiry. */
import { connect, type PeerCertificate, type SecureVersion } from 'node:tls';

export interface TlsHandshake {
  version: SecureVersion;
  accepted: boolean;
  error?: string;
}

export interface TlsReport {
  handshakes: TlsHandshake[];
  certificate: { validTo: Date; subject: string } | undefined;
}

const oldVersions: SecureVersion[] = ['TLSv1', 'TLSv1.1'];

/** Tries a handshake pinned to one version; old versions need OpenSSL security level 0 to be offered at all. */
export function tryHandshake(
  host: string,
  port: number,
  version: SecureVersion,
  timeoutMs = 5000,
): Promise<TlsHandshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      minVersion: version,
      maxVersion: version,
      ciphers: 'DEFAULT:@SECLEVEL=0',
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const done = (result: TlsHandshake) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done({ version, accepted: socket.getProtocol() === version }));
    socket.once('error', (error) => done({ version, accepted: false, error: error.message }));
    socket.once('timeout', () => done({ version, accepted: false, error: 'timed out' }));
  });
}

export function readCertificate(
  host: string,
  port: number,
  timeoutMs = 5000,
): Promise<TlsReport['certificate']> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const done = (value: TlsReport['certificate']) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      done(
        cert?.valid_to
          ? { validTo: new Date(cert.valid_to), subject: String(cert.subject?.CN ?? '') }
          : undefined,
      );
    });
    socket.once('error', () => done(undefined));
    socket.once('timeout', () => done(undefined));
  });
}

export async function inspectTls(host: string, port: number): Promise<TlsReport> {
  const handshakes: TlsHandshake[] = [];
  for (const version of oldVersions) handshakes.push(await tryHandshake(host, port, version));
  return { handshakes, certificate: await readCertificate(host, port) };
}
