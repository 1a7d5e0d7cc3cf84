/** A local httpbin (Debian's python3-httpbin under gunicorn) on a free loopback port, for the k6 compatibility corpus. */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { getFreePort } from '../../../src/core/net.js';
import { type RunningTool, startTool } from '../../../src/core/process.js';

export interface Httpbin {
  /** `http://127.0.0.1:<port>` (or https with `tls`) */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface HttpbinOptions {
  /** Serve HTTPS with this key and certificate (PEM files). */
  tls?: { keyFile: string; certFile: string };
  timeoutMs?: number;
}

/** Debian installs httpbin and gunicorn for the system Python only, not for a python3 earlier on PATH. */
const systemPython = '/usr/bin/python3';

/** True when `GET /get` answers 200 (a self-signed certificate is fine: this only waits for the port). */
function answers(url: string): Promise<boolean> {
  return new Promise((done) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const request = get(`${url}/get`, { rejectUnauthorized: false, timeout: 1000 }, (response) => {
      response.resume();
      done(response.statusCode === 200);
    });
    request.on('error', () => done(false));
    request.on('timeout', () => request.destroy());
  });
}

async function waitUntilReady(url: string, tool: RunningTool, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  tool.result
    .catch(() => undefined)
    .finally(() => {
      exited = true;
    });
  while (Date.now() < deadline) {
    if (exited) throw new Error('httpbin (gunicorn) exited before it answered');
    try {
      if (await answers(url)) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`httpbin did not answer on ${url} within ${timeoutMs} ms`);
}

/** Starts httpbin on 127.0.0.1 and resolves once `/get` answers. */
export async function startHttpbin(options: HttpbinOptions = {}): Promise<Httpbin> {
  const port = await getFreePort();
  const tls = options.tls ? ['--keyfile', options.tls.keyFile, '--certfile', options.tls.certFile] : [];
  const tool = startTool(
    systemPython,
    ['-m', 'gunicorn', '--workers', '1', '--threads', '8', ...tls, '-b', `127.0.0.1:${port}`, 'httpbin:app'],
    { killSignal: 'SIGTERM', forceKillAfterMs: 5000, allowExitCodes: [0, 143, -15] },
  );
  tool.result.catch(() => undefined);
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, tool, options.timeoutMs ?? 30_000);
  } catch (error) {
    await tool.kill();
    throw error;
  }
  return { url, port, stop: () => tool.kill() };
}
