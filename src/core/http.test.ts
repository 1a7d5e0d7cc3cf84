// core's target HTTP layer against a real loopback server: host guard, Origin, bypass, token, timeouts, unreachable.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from './config/load.js';
import { isPreflightError } from './errors.js';
import { ApiClient, sendRequest } from './http.js';
import { getFreePort } from './net.js';
import { resolveTarget } from './target.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  s?.closeAllConnections();
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** A server that answers with the request headers it saw (or never answers on /slow). */
async function startEcho(): Promise<string> {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/slow')) return;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, headers: req.headers, body })));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function targetFor(baseUrl: string) {
  const config = validateConfig({
    targets: {
      local: {
        baseUrl,
        origin: 'https://app.example.test',
        rateLimitBypass: { header: 'X-Rate-Limit-Bypass', tokenEnv: 'PF_TEST_BYPASS' },
      },
    },
  });
  return resolveTarget(config, 'local', { env: { PF_TEST_BYPASS: 'bypass-secret-1234' } });
}

describe('sendRequest (real loopback server)', () => {
  it('sends Origin, the bypass header and the token; the evidence hides the bypass value', async () => {
    const base = await startEcho();
    const target = targetFor(base);
    const response = await sendRequest(target, {
      method: 'post',
      url: `${target.apiBase}/echo`,
      json: { a: 1 },
      token: 'tok',
      headers: { 'X-Extra': 'yes' },
      timeoutMs: 5000,
    });
    const seen = response.json<{ method: string; headers: IncomingHttpHeaders; body: string }>();
    expect(seen.method).toBe('POST');
    expect(seen.headers.origin).toBe('https://app.example.test');
    expect(seen.headers['x-rate-limit-bypass']).toBe('bypass-secret-1234');
    expect(seen.headers.authorization).toBe('Bearer tok');
    expect(seen.headers['x-extra']).toBe('yes');
    expect(seen.body).toBe('{"a":1}');
    expect(response.requestHeaders.origin).toBe('https://app.example.test');
    expect(JSON.stringify(response.requestHeaders)).not.toContain('bypass-secret-1234');
  });

  it('origin null and bypass false send neither; ApiClient noBypass does the same', async () => {
    const base = await startEcho();
    const target = targetFor(base);
    const bare = await sendRequest(target, {
      method: 'GET',
      url: `${target.apiBase}/echo`,
      origin: null,
      bypass: false,
      timeoutMs: 5000,
    });
    const headers = bare.json<{ headers: IncomingHttpHeaders }>().headers;
    expect(headers.origin).toBeUndefined();
    expect(headers['x-rate-limit-bypass']).toBeUndefined();
    const viaClient = await new ApiClient(target).request('GET', '/echo', { noBypass: true });
    expect(viaClient.json<{ headers: IncomingHttpHeaders }>().headers['x-rate-limit-bypass']).toBeUndefined();
    expect(viaClient.json<{ headers: IncomingHttpHeaders }>().headers.origin).toBe(
      'https://app.example.test',
    );
  });

  it('refuses a host the target does not allow before sending anything', async () => {
    const target = targetFor(await startEcho());
    await expect(
      sendRequest(target, { method: 'GET', url: 'https://example.com/', timeoutMs: 1000 }),
    ).rejects.toThrow(/Refusing to send traffic to example\.com/);
  });

  it('a timeout is E_TARGET_UNREACHABLE, or status 0 with timeoutAsStatus0', async () => {
    const target = targetFor(await startEcho());
    const url = `${target.apiBase}/slow`;
    const error = await sendRequest(target, { method: 'GET', url, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isPreflightError(error) && error.code).toBe('E_TARGET_UNREACHABLE');
    expect((error as Error).message).toContain('timed out');
    const timedOut = await sendRequest(target, {
      method: 'GET',
      url,
      timeoutMs: 200,
      timeoutAsStatus0: true,
    });
    expect(timedOut.status).toBe(0);
    expect(() => timedOut.json()).toThrow(/timed out/);
  });

  it('a closed port is E_TARGET_UNREACHABLE with the fetch error as cause', async () => {
    const port = await getFreePort();
    const target = targetFor(`http://127.0.0.1:${port}`);
    const error = await sendRequest(target, {
      method: 'GET',
      url: `${target.apiBase}/x`,
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(isPreflightError(error) && error.code).toBe('E_TARGET_UNREACHABLE');
    expect(JSON.stringify(String((error as Error).message))).toContain('ECONNREFUSED');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
