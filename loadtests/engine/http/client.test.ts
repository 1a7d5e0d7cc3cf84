/** The native engine's HTTP/1.1 client against real local servers: node:http, node:https and raw TCP peers. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../../test/helpers/certificate.js';
import { sendRequest } from './client.js';
import type { RawRequest } from './exchange.js';
import { findRawHeader, parseRawHeaders } from './parser.js';
import { closeHttpAgent } from './pool.js';

const servers: Array<HttpServer | TcpServer> = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  await closeHttpAgent();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A TCP peer that answers every request with the given raw bytes (written in the given pieces). */
async function rawServer(
  pieces: Array<string | Buffer>,
  options: { delayMs?: number; end?: boolean } = {},
): Promise<number> {
  const server = createTcpServer((socket) => {
    socket.once('data', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      }
      if (options.end) socket.end();
    });
  });
  return listen(server);
}

function request(url: string, extra: Partial<RawRequest> = {}): RawRequest {
  return { method: 'GET', url: new URL(url), headers: {}, body: undefined, timeoutMs: 5_000, ...extra };
}

describe('native HTTP client', () => {
  it('keeps connections alive: sequential requests share one socket; status, headers, body and byte counts', async () => {
    let connections = 0;
    const server = createHttpServer((req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, host: req.headers.host }));
    });
    server.on('connection', () => connections++);
    const port = await listen(server);
    for (let i = 0; i < 3; i++) {
      const res = await sendRequest(request(`http://127.0.0.1:${port}/x?i=${i}`));
      expect(res.error).toBe('');
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('OK');
      expect(JSON.parse(res.body.toString())).toEqual({ path: `/x?i=${i}`, host: `127.0.0.1:${port}` });
      expect(findRawHeader(res.rawHeaders, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2']);
      expect(parseRawHeaders(res.rawHeaders)['Content-Type']).toBe('application/json');
      expect(res.bytesReceived).toBeGreaterThan(res.body.length + 100);
      expect(res.bytesSent).toBeGreaterThan(20);
      expect(res.timings.duration).toBeGreaterThan(0);
    }
    expect(connections).toBe(1);
  });

  it('sends a body with its Content-Length and reads a chunked response written in pieces', async () => {
    const server = createHttpServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(parts).toString();
        res.write(`length=${req.headers['content-length']};`);
        await new Promise((r) => setTimeout(r, 20));
        res.write(`body=${body};`);
        await new Promise((r) => setTimeout(r, 20));
        res.end('end');
      });
    });
    const port = await listen(server);
    const res = await sendRequest(
      request(`http://127.0.0.1:${port}/`, { method: 'POST', body: Buffer.from('hello=world') }),
    );
    expect(res.status).toBe(200);
    expect(findRawHeader(res.rawHeaders, 'transfer-encoding')).toEqual(['chunked']);
    expect(res.body.toString()).toBe('length=11;body=hello=world;end');
    expect(res.timings.receiving).toBeGreaterThan(10);
  });

  it('decodes chunk sizes, data and trailers split anywhere across reads', async () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n1;ext=1\r\n \r\nB\r\nchunked wor\r\n2\r\nld\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const pieces: string[] = [];
    for (let i = 0; i < wire.length; i += 3) pieces.push(wire.slice(i, i + 3));
    const port = await rawServer(pieces, { delayMs: 1 });
    const res = await sendRequest(request(`http://127.0.0.1:${port}/`));
    expect(res.error).toBe('');
    expect(res.body.toString()).toBe('hello chunked world');
  });

  it('reads a body delimited by the connection closing, and an HTTP/1.0 answer', async () => {
    const port = await rawServer(['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ', 'close'], {
      delayMs: 10,
      end: true,
    });
    const res = await sendRequest(request(`http://127.0.0.1:${port}/`));
    expect(res.error).toBe('');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('until close');
  });

  it('skips an interim 100 Continue and reads the real answer', async () => {
    const port = await rawServer([
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
    ]);
    const res = await sendRequest(
      request(`http://127.0.0.1:${port}/`, { method: 'POST', body: Buffer.from('x') }),
    );
    expect(res.status).toBe(201);
    expect(res.body.toString()).toBe('ok');
  });

  it('HEAD and 204 carry no body and leave the connection usable', async () => {
    let connections = 0;
    const server = createHttpServer((req, res) => {
      if (req.url === '/empty') {
        res.statusCode = 204;
        res.end();
        return;
      }
      res.setHeader('content-length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    server.on('connection', () => connections++);
    const port = await listen(server);
    const head = await sendRequest(request(`http://127.0.0.1:${port}/`, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const empty = await sendRequest(request(`http://127.0.0.1:${port}/empty`));
    expect(empty.status).toBe(204);
    const get = await sendRequest(request(`http://127.0.0.1:${port}/`));
    expect(get.body.toString()).toBe('hello');
    expect(connections).toBe(1);
  });

  it('sends again on a fresh socket when the server closes a kept-alive one as it is reused', async () => {
    // The race a keep-alive client meets: the first socket answers once, then closes on the next request.
    let connections = 0;
    const server = createTcpServer((socket) => {
      const n = ++connections;
      let requests = 0;
      socket.on('data', () => {
        requests++;
        if (n === 1 && requests === 2) socket.destroy();
        else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n${n === 1 ? 'once' : 'fine'}`);
      });
    });
    const port = await listen(server);
    expect((await sendRequest(request(`http://127.0.0.1:${port}/`))).body.toString()).toBe('once');
    const again = await sendRequest(request(`http://127.0.0.1:${port}/`));
    expect(again.error).toBe('');
    expect(again.body.toString()).toBe('fine');
    expect(connections).toBe(2);
  });

  it('never resends a POST the server read on a kept-alive socket and closed on; a GET is resent', async () => {
    // Each connection answers its first request and closes on its second without answering.
    const seen: string[] = [];
    let connections = 0;
    const server = createTcpServer((socket) => {
      connections++;
      let buffered = '';
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (let m = /^(GET|POST) \/(\w*) HTTP\/1\.1\r\n/m.exec(buffered); m; ) {
          seen.push(`${m[1]} /${m[2]}`);
          buffered = buffered.slice(m.index + m[0].length);
          if (++requests === 2) {
            socket.destroy();
            return;
          }
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          m = /^(GET|POST) \/(\w*) HTTP\/1\.1\r\n/m.exec(buffered);
        }
      });
    });
    const port = await listen(server);
    const url = (path: string) => `http://127.0.0.1:${port}/${path}`;
    expect((await sendRequest(request(url('first')))).status).toBe(200);
    const booking = await sendRequest(
      request(url('book'), { method: 'POST', body: Buffer.from('{"slot":1}') }),
    );
    // settled as an error, so no resend can follow: the server saw the POST exactly once
    expect(booking).toMatchObject({ status: 0, error: 'connection reset by peer', errorCode: 1220 });
    expect(seen.filter((s) => s === 'POST /book')).toHaveLength(1);

    expect((await sendRequest(request(url('second')))).status).toBe(200);
    const read = await sendRequest(request(url('read')));
    expect(read.error).toBe('');
    expect(read.body.toString()).toBe('ok');
    expect(seen).toEqual(['GET /first', 'POST /book', 'GET /second', 'GET /read', 'GET /read']);
    expect(connections).toBe(3);
  });

  it('does not reuse a socket that sent more than its response (after a length, a chunked end or no body)', async () => {
    let connections = 0;
    const server = createTcpServer((socket) => {
      const n = ++connections;
      socket.once('data', () =>
        socket.write(
          n === 1
            ? 'HTTP/1.1 204 No Content\r\n\r\nSTRAY'
            : n === 2
              ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokSTRAY'
              : 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nSTRAY',
        ),
      );
    });
    const port = await listen(server);
    for (let i = 1; i <= 4; i++) {
      const res = await sendRequest(request(`http://127.0.0.1:${port}/`, { timeoutMs: 1_000 }));
      expect(res.error, `request ${i}`).toBe('');
      expect(res.body.toString()).toBe(i === 1 ? '' : 'ok');
      expect(connections).toBe(i);
    }
  });

  it('drops an idle socket the server closed and opens a new one', async () => {
    let connections = 0;
    const server = createTcpServer((socket) => {
      connections++;
      socket.on('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        setTimeout(() => socket.end(), 20);
      });
    });
    const port = await listen(server);
    expect((await sendRequest(request(`http://127.0.0.1:${port}/`))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect((await sendRequest(request(`http://127.0.0.1:${port}/`))).status).toBe(200);
    expect(connections).toBe(2);
  });

  it('reports a timeout, a refused connection, an abort, an injected header and a malformed answer as k6 errors (status 0)', async () => {
    const silent = await listen(createTcpServer(() => undefined));
    const timedOut = await sendRequest(request(`http://127.0.0.1:${silent}/`, { timeoutMs: 200 }));
    expect(timedOut).toMatchObject({ status: 0, error: 'request timeout', errorCode: 1050 });
    expect(timedOut.timings.waiting).toBeGreaterThanOrEqual(150);

    const closed = await listen(createTcpServer());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const refused = await sendRequest(request(`http://127.0.0.1:${closed}/`));
    expect(refused).toMatchObject({ status: 0, error: 'dial: connection refused', errorCode: 1212 });

    let abort: ((error?: Error) => void) | undefined;
    const pending = sendRequest(
      request(`http://127.0.0.1:${silent}/`, { onAbortHandle: (fn) => (abort = fn ?? abort) }),
    );
    await new Promise((r) => setTimeout(r, 50));
    abort?.();
    expect(await pending).toMatchObject({ status: 0, error: 'request aborted' });

    let contacted = 0;
    const counting = await listen(createTcpServer(() => contacted++));
    const injected = await sendRequest(
      request(`http://127.0.0.1:${counting}/`, { headers: { 'X-Note': 'a\r\nX-Admin: 1' } }),
    );
    expect(injected).toMatchObject({ status: 0, error: 'net/http: invalid header field value for "X-Note"' });
    const badName = await sendRequest(
      request(`http://127.0.0.1:${counting}/`, { headers: { 'Bad Name': 'x' } }),
    );
    expect(badName.error).toBe('net/http: invalid header field name "Bad Name"');
    expect(contacted).toBe(0);

    const garbage = await rawServer(['SSH-2.0-OpenSSH\r\n\r\n']);
    const bad = await sendRequest(request(`http://127.0.0.1:${garbage}/`));
    expect(bad).toMatchObject({ status: 0, error: 'malformed HTTP response' });
  });

  it('keeps every response its own bytes: plain sockets share one read buffer, so pieces read earlier must survive later reads', async () => {
    // each response is distinct, larger than the 64 KiB read buffer and sent in pieces with pauses, chunked or by
    // length, while other responses arrive on other sockets in between
    const bodyFor = (n: number) => Buffer.alloc(150_000 + n * 1_000, String.fromCharCode(97 + (n % 26)));
    const server = createHttpServer(async (req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
      const body = bodyFor(n);
      if (n % 2 === 0) res.setHeader('content-length', body.length);
      for (let at = 0; at < body.length; at += 40_000) {
        res.write(body.subarray(at, at + 40_000));
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end();
    });
    const port = await listen(server);
    const ns = Array.from({ length: 12 }, (_, i) => i);
    for (let round = 0; round < 2; round++) {
      const responses = await Promise.all(
        ns.map((n) => sendRequest(request(`http://127.0.0.1:${port}/?n=${n}`))),
      );
      for (const n of ns) {
        expect(responses[n]!.status).toBe(200);
        expect(responses[n]!.body.equals(bodyFor(n))).toBe(true);
      }
    }
    // a head split between two reads: its first part is kept for the second
    const split = await rawServer(['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 5\r\nX-A: 1\r\n\r\nhel', 'lo'], {
      delayMs: 20,
    });
    const [first, other] = await Promise.all([
      sendRequest(request(`http://127.0.0.1:${split}/`)),
      sendRequest(request(`http://127.0.0.1:${port}/?n=3`)),
    ]);
    expect(first.body.toString()).toBe('hello');
    expect(findRawHeader(first.rawHeaders, 'x-a')).toEqual(['1']);
    expect(other.body.equals(bodyFor(3))).toBe(true);
  });

  it('refuses an unsafe header or method after the same name was sent valid many times (the validity cache)', async () => {
    const seen: string[] = [];
    const server = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.headers['x-note']}`);
      res.end('ok');
    });
    const port = await listen(server);
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 3; i++) {
      const ok = await sendRequest(request(url, { method: 'PATCH', headers: { 'X-Note': 'fine' } }));
      expect(ok.status).toBe(200);
    }
    const injected = await sendRequest(request(url, { headers: { 'X-Note': 'fine\r\nX-Admin: 1' } }));
    expect(injected.error).toBe('net/http: invalid header field value for "X-Note"');
    const badMethod = await sendRequest(request(url, { method: 'PATCH /admin HTTP/1.1\r\nX:' }));
    expect(badMethod.error).toMatch(/^net\/http: invalid method/);
    expect(seen).toEqual(['PATCH fine', 'PATCH fine', 'PATCH fine']);
  });

  it.each([
    ['HTTP/1.1 404 Not Found Here', 404, 'Not Found Here'],
    ['HTTP/1.1 200 ', 200, ''],
    ['HTTP/1.1 299', 299, ''],
    ['HTTP/1.0 503 Service Unavailable', 503, 'Service Unavailable'],
  ] as const)('reads the status line %j', async (line, status, text) => {
    const port = await rawServer([
      `${line}\r\nno colon here\r\nLocation: http://x:1/a\r\n:empty name\r\nX-Two:  b  \r\nContent-Length: 2\r\n\r\nok`,
    ]);
    const res = await sendRequest(request(`http://127.0.0.1:${port}/`));
    expect(res).toMatchObject({ status, statusText: text, error: '' });
    expect(res.body.toString()).toBe('ok');
    // a line without a colon, or with nothing before it, is no header; a value keeps its own colons, trimmed
    expect(res.rawHeaders).toEqual(['Location', 'http://x:1/a', 'X-Two', 'b', 'Content-Length', '2']);
  });

  it.each(['HTTP/1.1 20x OK', 'HTTP/2 200 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.2 200 OK', 'HTTP/1.1  200 OK'])(
    'refuses the status line %j as a malformed answer',
    async (line) => {
      const port = await rawServer([`${line}\r\nContent-Length: 0\r\n\r\n`]);
      const res = await sendRequest(request(`http://127.0.0.1:${port}/`));
      expect(res).toMatchObject({ status: 0, error: 'malformed HTTP response' });
    },
  );

  it('verifies certificates over https, and accepts a self-signed one only with insecureSkipTLSVerify', async () => {
    const { key, cert } = await makeCertificate(30);
    const port = await listen(createHttpsServer({ key, cert }, (_req, res) => res.end('secure')));
    const strict = await sendRequest(request(`https://127.0.0.1:${port}/`));
    expect(strict.status).toBe(0);
    expect(strict.error).toMatch(/unknown authority.*self[- ]signed/i);
    expect(strict.errorCode).toBe(1310);
    const insecure = await sendRequest(
      request(`https://127.0.0.1:${port}/`, { insecureSkipTLSVerify: true }),
    );
    expect(insecure.error).toBe('');
    expect(insecure.body.toString()).toBe('secure');
    expect(insecure.timings.tls_handshaking).toBeGreaterThan(0);
  });
});
