/** The native engine's k6 API pieces below the corpus: hosts mapping and the guard, JSON selectors, base64 variants, the cookie jar, hashes. */
import { describe, expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import type { RawResponse } from '../http/exchange.js';
import { resolveHostOverride } from '../http/hosts.js';
import { CookieJar } from '../native/modules/k6-cookies.js';
import { createCryptoModule } from '../native/modules/k6-crypto.js';
import { b64decode, b64encode } from '../native/modules/k6-encoding.js';
import { parseHTML } from '../native/modules/k6-html.js';
import { select } from '../native/modules/k6-json-selector.js';
import { type FollowUp, K6Response } from '../native/modules/k6-response.js';
import { runScenario } from '../run.js';
import { applyEnvOptions } from '../scenario/env-options.js';

describe('options.hosts', () => {
  it('maps host:port before host, keeps the port when the entry has none, and reads IPv6 literals', () => {
    const hosts = {
      'a.test:443': '127.0.0.1:8443',
      'a.test': '127.0.0.2',
      'b.test': '::1',
      'c.test': '[::1]:81',
    };
    expect(resolveHostOverride(new URL('https://a.test/x'), hosts)).toEqual({
      host: '127.0.0.1',
      port: 8443,
    });
    expect(resolveHostOverride(new URL('http://A.test:8080/'), hosts)).toEqual({
      host: '127.0.0.2',
      port: 8080,
    });
    expect(resolveHostOverride(new URL('http://b.test/'), hosts)).toEqual({ host: '::1', port: 80 });
    expect(resolveHostOverride(new URL('http://c.test/'), hosts)).toEqual({ host: '::1', port: 81 });
    expect(resolveHostOverride(new URL('http://d.test/'), hosts)).toBeUndefined();
  });

  it('the host guard checks where the bytes go: a name mapped to a non-loopback address is refused before the run sends anything', async () => {
    const script = writeScript(`
import http from 'k6/http';
export const options = { hosts: { 'api.example.com': '192.0.2.10' } };
export default function () { http.get('http://api.example.com/'); }
`);
    const error = await runScenario({ scenario: script, engine: 'native', resultsDir: false }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code, String(error)).toBe('E_TARGET_NOT_ALLOWED');
    expect((error as Error).message).toContain('192.0.2.10');
  });

  it('an unmapped public name is refused too (no DNS lookup escapes the guard)', async () => {
    const script = writeScript(`
import http from 'k6/http';
export const options = { hosts: { 'other.example.com': '127.0.0.1' } };
export default function () { http.get('https://test.k6.io/'); }
`);
    const error = await runScenario({ scenario: script, engine: 'native', resultsDir: false }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code, String(error)).toBe('E_TARGET_NOT_ALLOWED');
    expect((error as Error).message).toContain('test.k6.io');
  });
});

describe('response.json(selector)', () => {
  const doc = {
    name: { first: 'Tom', last: 'Anderson' },
    age: 37,
    'fav.movie': 'Deer Hunter',
    friends: [
      { first: 'Dale', age: 44, nets: ['ig', 'fb', 'tw'] },
      { first: 'Roger', age: 68, nets: ['fb', 'tw'] },
      { first: 'Jane', age: 47, nets: ['ig', 'tw'] },
    ],
  };
  it.each([
    ['name.last', 'Anderson'],
    ['age', 37],
    ['friends.#', 3],
    ['friends.1.first', 'Roger'],
    ['friends.#.first', ['Dale', 'Roger', 'Jane']],
    ['friends.#(first=="Jane").age', 47],
    ['friends.#(age>45)#.first', ['Roger', 'Jane']],
    ['friends.#(first%"D*").age', 44],
    ['fav\\.movie', 'Deer Hunter'],
    ['n?me.first', 'Tom'],
    ['friends.9.first', undefined],
    ['nothing.here', undefined],
  ])('%s', (selector, expected) => {
    expect(select(doc, selector)).toEqual(expected);
  });
});

describe('k6/encoding', () => {
  it('encodes the four variants and refuses data outside a variant\u2019s alphabet', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe]).buffer;
    expect(b64encode(bytes, 'std')).toBe('+//+');
    expect(b64encode(bytes, 'url')).toBe('-__-');
    expect(b64encode('a', 'std')).toBe('YQ==');
    expect(b64encode('a', 'rawstd')).toBe('YQ');
    expect(b64encode('a', 'url')).toBe('YQ==');
    expect(b64encode('a', 'rawurl')).toBe('YQ');
    expect(b64decode('YQ', 'rawstd', 's')).toBe('a');
    expect(() => b64decode('-__-', 'std')).toThrow(/illegal base64/);
    expect(() => b64encode('a', 'base32')).toThrow(/unsupported base64 encoding "base32"/);
  });
});

describe('the cookie jar', () => {
  it('keeps a cookie to its domain and path, honours Secure, Max-Age=0 and foreign Domain attributes as a browser does', () => {
    const jar = new CookieJar();
    const url = new URL('https://shop.test/account/login');
    jar.storeSetCookie(url, [
      'session=abc; Path=/account; Secure; HttpOnly',
      'theme="dark"; Domain=shop.test; Path=/',
      'lang=en',
      'stolen=1; Domain=bank.test',
    ]);
    // longest path first; lang has the default path of /account/login: /account
    expect(jar.headerFor(new URL('https://shop.test/account/orders'))).toBe(
      'session=abc; lang=en; theme=dark',
    );
    expect(jar.headerFor(new URL('https://www.shop.test/'))).toBe('theme=dark');
    expect(jar.headerFor(new URL('http://shop.test/account/'))).toBe('lang=en; theme=dark');
    expect(jar.headerFor(new URL('https://shop.test/accounting'))).toBe('theme=dark');
    expect(jar.cookiesForURL('https://bank.test/')).toEqual({});
    jar.storeSetCookie(url, ['session=gone; Path=/account; Max-Age=0']);
    expect(jar.cookiesForURL('https://shop.test/account/x')).toEqual({ lang: ['en'], theme: ['dark'] });
    jar.delete('https://shop.test/', 'theme');
    expect(jar.headerFor(new URL('https://shop.test/'))).toBeUndefined();
  });
});

describe('k6/crypto', () => {
  const crypto = createCryptoModule();
  it('gives every output encoding and names an unknown algorithm', () => {
    expect(crypto.sha256('', 'base64rawurl')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(crypto.sha256('', 'base64url')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect((crypto.md5('', 'binary') as ArrayBuffer).byteLength).toBe(16);
    expect(crypto.sha512_256('abc', 'hex')).toBe(
      '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23',
    );
    expect(() => crypto.createHash('sha3')).toThrow('invalid algorithm: sha3');
    expect(() => crypto.sha1('x', 'base32' as 'hex')).toThrow(/invalid output encoding: base32/);
  });
});

describe('k6/html', () => {
  it('walks a document with find/text/attr/each/map/serializeObject', () => {
    const doc = parseHTML(
      '<form action="/login"><input name="user" value="u1"><select name="size"><option value="s" selected>S</option></select><a href="/a" class="x y">A</a><a href="/b">B</a></form>',
    );
    expect(doc.find('a').map((_i, s) => s.attr('href'))).toEqual(['/a', '/b']);
    expect(doc.find('form').serializeObject()).toEqual({ user: 'u1', size: 's' });
    const classes: string[][] = [];
    doc.find('a').each((_i, el) => {
      classes.push(el.classList());
    });
    expect(classes).toEqual([['x', 'y'], []]);
    expect(doc.find('a').last().text()).toBe('B');
    expect(doc.find('input').attr('name')).toBe('user');
    expect(doc.find('nothing').attr('x', 'fallback')).toBe('fallback');
  });
});

describe('the Response object', () => {
  const timings = {
    duration: 1,
    blocked: 0,
    connecting: 0,
    tls_handshaking: 0,
    sending: 0,
    waiting: 1,
    receiving: 0,
  } as RawResponse['timings'];
  const respond = (
    body: string,
    followUp: FollowUp = () => Promise.reject(new Error('no request expected')),
  ) =>
    new K6Response(
      {
        status: 200,
        statusText: 'OK',
        rawHeaders: ['Content-Type', 'text/html', 'Set-Cookie', 'sid="a b"; Path=/; HttpOnly'],
        body: Buffer.from(body),
        timings,
        error: '',
        errorCode: 0,
        bytesSent: 0,
        bytesReceived: 0,
      },
      new URL('https://shop.test/search?old=1'),
      'GET',
      { headers: { Cookie: 'a=1; b=2' }, body: undefined },
      'text',
      followUp,
    );

  it('json(): a selector on a body that is not JSON gives undefined; without one, k6\u2019s parse error', () => {
    const res = respond('{"a": 1,\n "b": oops}');
    expect(res.json('a')).toBeUndefined();
    expect(() => res.json()).toThrow(
      /^cannot parse json due to an error at line \d+, character \d+ , error: /,
    );
  });

  it('cookies and request cookies in k6\u2019s shapes', () => {
    const res = respond('');
    expect(res.cookies.sid?.[0]).toMatchObject({ name: 'sid', value: 'a b', path: '/', http_only: true });
    expect(res.request.cookies).toEqual({
      a: [{ name: 'a', value: '1', replace: false }],
      b: [{ name: 'b', value: '2', replace: false }],
    });
  });

  it('submitForm of a GET form replaces the action\u2019s query with the fields, submit button included (recording follow-up, mock)', async () => {
    const sent: unknown[][] = [];
    const followUp: FollowUp = (...args) => {
      sent.push(args);
      return Promise.resolve(respond(''));
    };
    const page = respond(
      '<form action="/find?stale=1"><input name="q" value="shoes"><input type="submit" name="go" value="Search"></form>',
      followUp,
    );
    await page.submitForm({ fields: { q: 'boots' } });
    expect(sent).toEqual([['GET', 'https://shop.test/find?q=boots&go=Search', null, undefined]]);
    expect(() => page.submitForm({ formSelector: '#login' })).toThrow(
      "no form found for selector '#login' in response 'https://shop.test/search?old=1'",
    );
    expect(() => page.clickLink()).toThrow("no element found for selector 'a[href]'");
  });
});

describe('K6_* option variables', () => {
  it('apply over the script\u2019s options as k6 reads them, and name a bad value', () => {
    const options = applyEnvOptions(
      { hosts: { 'a.test': '10.0.0.1' }, userAgent: 'script' },
      {
        K6_HOSTS: '{"b.test":"127.0.0.1:8080"}',
        K6_USER_AGENT: 'env',
        K6_MAX_REDIRECTS: '3',
        K6_DISCARD_RESPONSE_BODIES: 'true',
        K6_BATCH_PER_HOST: '2',
      },
    );
    expect(options).toMatchObject({
      hosts: { 'b.test': '127.0.0.1:8080' },
      userAgent: 'env',
      maxRedirects: 3,
      discardResponseBodies: true,
      batchPerHost: 2,
    });
    expect(() => applyEnvOptions({}, { K6_MAX_REDIRECTS: 'many' })).toThrow(
      'K6_MAX_REDIRECTS must be a non-negative integer, got `many`',
    );
    expect(() => applyEnvOptions({}, { K6_HOSTS: '["x"]' })).toThrow('K6_HOSTS must be a JSON object');
  });
});
