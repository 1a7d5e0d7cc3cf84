/** k6's cookie jar (`http.cookieJar()`, `new http.CookieJar()`): cookies by domain and path, as a browser keeps them. */

interface StoredCookie {
  name: string;
  value: string;
  domain: string;
  /** Set by a Domain attribute: the cookie also goes to subdomains. */
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  /** Epoch ms; undefined for a session cookie. */
  expires: number | undefined;
}

export interface CookieOptions {
  domain?: string;
  path?: string;
  expires?: string;
  max_age?: number;
  secure?: boolean;
  http_only?: boolean;
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function domainMatches(cookie: StoredCookie, host: string): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

function pathMatches(cookiePath: string, path: string): boolean {
  if (path === cookiePath) return true;
  if (!path.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || path[cookiePath.length] === '/';
}

/** One jar: a VU's own (reset every iteration, as k6 does) or one a script made with `new http.CookieJar()`. */
export class CookieJar {
  readonly #cookies: StoredCookie[] = [];

  /** `jar.set(url, name, value, {domain, path, expires, max_age, secure, http_only})`. */
  set(url: string, name: string, value: string, options: CookieOptions = {}): void {
    const target = new URL(url);
    let expires: number | undefined;
    if (options.max_age !== undefined) expires = Date.now() + Number(options.max_age) * 1000;
    else if (options.expires) expires = Date.parse(options.expires);
    const domain = (options.domain ?? target.hostname).replace(/^\./, '').toLowerCase();
    this.#store({
      name: String(name),
      value: String(value),
      domain,
      hostOnly: options.domain === undefined,
      path: options.path ?? '/',
      secure: options.secure === true,
      httpOnly: options.http_only === true,
      expires,
    });
  }

  /** `jar.cookiesForURL(url)`: `{name: [value, ...]}` of the cookies a request to `url` would carry. */
  cookiesForURL(url: string): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const cookie of this.#matching(new URL(url))) {
      const values = result[cookie.name] ?? [];
      values.push(cookie.value);
      result[cookie.name] = values;
    }
    return result;
  }

  /** `jar.clear(url)`: drops every cookie a request to `url` would carry. */
  clear(url: string): void {
    const drop = new Set(this.#matching(new URL(url)));
    this.#remove((c) => drop.has(c));
  }

  /** `jar.delete(url, name)`. */
  delete(url: string, name: string): void {
    const drop = new Set(this.#matching(new URL(url)).filter((c) => c.name === name));
    this.#remove((c) => drop.has(c));
  }

  /** Drops every cookie (a new iteration starts with an empty VU jar). */
  clearAll(): void {
    if (this.#cookies.length) this.#cookies.length = 0;
  }

  /** The `Cookie` header value for a request to `url`. */
  headerFor(url: URL): string | undefined {
    // the common case (a script that never sees a cookie) costs nothing per request
    if (this.#cookies.length === 0) return undefined;
    const pairs = this.#matching(url).map((c) => `${c.name}=${c.value}`);
    return pairs.length ? pairs.join('; ') : undefined;
  }

  /** Stores the cookies of a response's `Set-Cookie` lines. */
  storeSetCookie(url: URL, lines: string[]): void {
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';');
      const idx = pair.indexOf('=');
      if (idx <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, idx).trim(),
        value: pair
          .slice(idx + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
        domain: url.hostname.toLowerCase(),
        hostOnly: true,
        path: defaultPath(url),
        secure: false,
        httpOnly: false,
        expires: undefined,
      };
      let maxAge: number | undefined;
      for (const attribute of attributes) {
        const at = attribute.indexOf('=');
        const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
        const value = at < 0 ? '' : attribute.slice(at + 1).trim();
        if (key === 'domain' && value) {
          cookie.domain = value.replace(/^\./, '').toLowerCase();
          cookie.hostOnly = false;
        } else if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'httponly') cookie.httpOnly = true;
        else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
        else if (key === 'expires') cookie.expires = Date.parse(value) || undefined;
      }
      if (maxAge !== undefined) cookie.expires = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
      // a cookie for another domain is refused, as browsers and Go's jar do
      if (!cookie.hostOnly && !domainMatches(cookie, url.hostname.toLowerCase())) continue;
      this.#store(cookie);
    }
  }

  #store(cookie: StoredCookie): void {
    this.#remove((c) => c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path);
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.#cookies.push(cookie);
  }

  #remove(drop: (cookie: StoredCookie) => boolean): void {
    for (let i = this.#cookies.length - 1; i >= 0; i--)
      if (drop(this.#cookies[i]!)) this.#cookies.splice(i, 1);
  }

  #matching(url: URL): StoredCookie[] {
    const host = url.hostname.toLowerCase();
    const now = Date.now();
    const secure = url.protocol === 'https:';
    return this.#cookies
      .filter(
        (c) =>
          (c.expires === undefined || c.expires > now) &&
          domainMatches(c, host) &&
          pathMatches(c.path, url.pathname || '/') &&
          (!c.secure || secure),
      )
      .sort((a, b) => b.path.length - a.path.length);
  }
}
