/** A small local HTTP server for engine tests: JSON answers, delays, status codes and scheduled stalls. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  port: number;
  /** Requests answered so far. */
  readonly count: number;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Stall: every `everyMs`, hold all answers for `forMs` (answers resume at the end of the stall). */
  stall?: { everyMs: number; forMs: number };
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean | undefined;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  let count = 0;
  const started = Date.now();
  const stallEnd = (): number => {
    if (!options.stall) return 0;
    const t = Date.now() - started;
    const phase = t % options.stall.everyMs;
    // The stall window is the last `forMs` of every period.
    const windowStart = options.stall.everyMs - options.stall.forMs;
    return phase >= windowStart ? options.stall.everyMs - phase : 0;
  };
  const server = createServer((req, res) => {
    const answer = () => {
      count++;
      if (options.handler?.(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      const status = Number(url.searchParams.get('status') ?? 200);
      const delay = Number(url.searchParams.get('delay') ?? 0);
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: status < 400, path: url.pathname, results: [], meta: {} }));
      };
      if (delay > 0) setTimeout(send, delay);
      else send();
    };
    const wait = stallEnd() + (options.delayMs ?? 0);
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get count() {
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The same kind of server in its own process, so engine stalls and server stalls stay independent. */
export async function startServerProcess(): Promise<{ url: string; close(): Promise<void> }> {
  const { startTool } = await import('../../src/core/process.js');
  const code = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
  const child = startTool(process.execPath, ['-e', code]);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.result.catch(reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await child.kill();
      await child.result.catch(() => undefined);
    },
  };
}
