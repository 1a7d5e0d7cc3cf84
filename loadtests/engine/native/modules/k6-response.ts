/** k6's Response of the native engine: plain fields, with body, headers, cookies, JSON and HTML worked out only when read. */
import type { RawResponse } from '../../http/exchange.js';
import { findRawHeader, parseRawHeaders } from '../../http/parser.js';
import { parseHTML, type Selection } from './k6-html.js';
import { select } from './k6-json-selector.js';

export type ResponseType = 'text' | 'binary' | 'none';

/** Sends a follow-up request (submitForm, clickLink) through the VU's `http.asyncRequest`. */
export type FollowUp = (method: string, url: string, body: unknown, params: unknown) => Promise<K6Response>;

export interface SubmitFormOptions {
  formSelector?: string;
  fields?: Record<string, string>;
  submitSelector?: string;
  params?: unknown;
}

export interface ClickLinkOptions {
  selector?: string;
  params?: unknown;
}

/** The host and port a URL connects to, worked out once per URL object (request URLs are cached, never mutated). */
const urlAddresses = new WeakMap<URL, { host: string; port: number }>();

function getUrlAddress(url: URL): { host: string; port: number } {
  let address = urlAddresses.get(url);
  if (!address) {
    address = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    };
    urlAddresses.set(url, address);
  }
  return address;
}

export class K6Response {
  readonly status: number;
  readonly status_text: string;
  readonly timings: RawResponse['timings'];
  readonly url: string;
  readonly proto: string;
  readonly error: string;
  readonly error_code: number;
  readonly remote_ip: string;
  readonly remote_port: number;
  #text: string | null | undefined;
  #binary: ArrayBuffer | undefined;
  #parsed: { value: unknown } | undefined;
  #document: Selection | undefined;
  #headers: Record<string, string> | undefined;
  #cookies: Record<string, Array<Record<string, unknown>>> | undefined;
  #request: Record<string, unknown> | undefined;
  // what the getters work from: private fields, so a script sees only k6's response fields
  readonly #raw: RawResponse;
  readonly #method: string;
  readonly #requestHeaders: Record<string, string>;
  readonly #requestBody: Buffer | undefined;
  readonly #responseType: ResponseType;
  readonly #followUp: FollowUp;

  constructor(
    raw: RawResponse,
    target: URL,
    method: string,
    request: { headers: Record<string, string>; body: Buffer | undefined },
    responseType: ResponseType,
    followUp: FollowUp,
    remote?: { host: string; port: number },
  ) {
    this.#raw = raw;
    this.#method = method;
    this.#requestHeaders = request.headers;
    this.#requestBody = request.body;
    this.#responseType = responseType;
    this.#followUp = followUp;
    this.status = raw.status;
    this.status_text = raw.status ? `${raw.status} ${raw.statusText}` : '';
    this.timings = raw.timings;
    this.url = target.href;
    this.proto = raw.status ? 'HTTP/1.1' : '';
    this.error = raw.error;
    this.error_code = raw.errorCode;
    const address = remote ?? getUrlAddress(target);
    this.remote_ip = address.host;
    this.remote_port = address.port;
  }

  #getText(): string | null {
    if (this.#text === undefined)
      this.#text = this.#responseType === 'text' ? this.#raw.body.toString('utf8') : null;
    return this.#text;
  }

  get body(): string | ArrayBuffer | null {
    if (this.#responseType !== 'binary') return this.#getText();
    const body = this.#raw.body;
    this.#binary ??= body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    return this.#binary;
  }

  get headers(): Record<string, string> {
    this.#headers ??= parseRawHeaders(this.#raw.rawHeaders);
    return this.#headers;
  }

  /** `{name: [{name, value, domain, path, http_only, secure, max_age, expires}]}` from Set-Cookie. */
  get cookies(): Record<string, Array<Record<string, unknown>>> {
    if (!this.#cookies) {
      const cookies: Record<string, Array<Record<string, unknown>>> = {};
      for (const line of findRawHeader(this.#raw.rawHeaders, 'set-cookie')) {
        const [pair = '', ...attributes] = line.split(';');
        const idx = pair.indexOf('=');
        if (idx <= 0) continue;
        const name = pair.slice(0, idx).trim();
        const cookie: Record<string, unknown> = {
          name,
          value: pair
            .slice(idx + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
          domain: '',
          path: '',
          http_only: false,
          secure: false,
          max_age: 0,
          expires: 0,
        };
        for (const attribute of attributes) {
          const at = attribute.indexOf('=');
          const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
          const value = at < 0 ? '' : attribute.slice(at + 1).trim();
          if (key === 'domain' || key === 'path') cookie[key] = value;
          else if (key === 'httponly') cookie.http_only = true;
          else if (key === 'secure') cookie.secure = true;
          else if (key === 'max-age') cookie.max_age = Number(value) || 0;
          else if (key === 'expires') cookie.expires = Date.parse(value) || 0;
        }
        cookies[name] = [...(cookies[name] ?? []), cookie];
      }
      this.#cookies = cookies;
    }
    return this.#cookies;
  }

  get request(): Record<string, unknown> {
    this.#request ??= {
      method: this.#method,
      url: this.url,
      headers: this.#requestHeaders,
      body: this.#requestBody ? this.#requestBody.toString('utf8') : '',
      cookies: readRequestCookies(this.#requestHeaders),
    };
    return this.#request;
  }

  /** The body as JSON, or the value at a gjson-style `selector` (undefined when missing). */
  json(selector?: string): unknown {
    const text = this.#getBodyText('JSON');
    if (!this.#parsed) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        // as k6: with a selector, a body that is not JSON gives undefined; without one, the parse error
        if (selector) return undefined;
        throw new Error(describeJsonError(text, error as Error));
      }
      this.#parsed = { value };
    }
    return selector ? select(this.#parsed.value, selector) : this.#parsed.value;
  }

  /** The body as an HTML document (k6/html's Selection), optionally narrowed by `selector`. */
  html(selector?: string): Selection {
    this.#document ??= parseHTML(this.#getBodyText('HTML'));
    return selector ? this.#document.find(selector) : this.#document;
  }

  /** The body as text for json()/html(): a binary body too, as k6 converts it; no body (responseType "none") throws. */
  #getBodyText(what: string): string {
    if (this.#responseType === 'none' || this.#raw.status === 0)
      throw new Error(
        `the body is null so we can't transform it to ${what} - this likely was because of a request error getting the response`,
      );
    return this.#getText() ?? this.#raw.body.toString('utf8');
  }

  /** Fills and submits a form of this page (`formSelector`, default "form"), as k6's `submitForm`. */
  submitForm(options: SubmitFormOptions = {}): Promise<K6Response> {
    const formSelector = options.formSelector ?? 'form';
    const form = this.html(formSelector);
    if (form.size() === 0)
      throw new Error(`no form found for selector '${formSelector}' in response '${this.url}'`);
    const action = new URL(form.attr('action') ?? this.url, this.url);
    const method = (form.attr('method') ?? 'GET').toUpperCase();
    const fields: Record<string, string> = form.serializeObject();
    const submit = form.find(options.submitSelector ?? '[type="submit"]');
    const submitName = submit.attr('name');
    const submitValue = submit.val();
    if (submitName !== undefined && submitValue !== undefined) fields[submitName] = String(submitValue);
    Object.assign(fields, options.fields ?? {});
    if (method === 'GET') {
      // the form's fields replace the action's query, as a browser (and k6) submits a GET form
      action.search = new URLSearchParams(fields).toString();
      return this.#followUp('GET', action.href, null, options.params);
    }
    return this.#followUp(method, action.href, fields, options.params);
  }

  /** Follows a link of this page (`selector`, default "a[href]"), as k6's `clickLink`. */
  clickLink(options: ClickLinkOptions = {}): Promise<K6Response> {
    const selector = options.selector ?? 'a[href]';
    const link = this.html(selector);
    if (link.size() === 0)
      throw new Error(`no element found for selector '${selector}' in response '${this.url}'`);
    const href = link.attr('href');
    if (href === undefined)
      throw new Error(
        `no valid href attribute value found on element '${selector}' in response '${this.url}'`,
      );
    return this.#followUp('GET', new URL(href, this.url).href, null, options.params);
  }

  /** What `JSON.stringify(res)` shows in a script: every field, as k6 prints a response. */
  toJSON(): Record<string, unknown> {
    return {
      status: this.status,
      status_text: this.status_text,
      body: this.body,
      headers: this.headers,
      cookies: this.cookies,
      timings: this.timings,
      url: this.url,
      proto: this.proto,
      error: this.error,
      error_code: this.error_code,
      remote_ip: this.remote_ip,
      remote_port: this.remote_port,
      request: this.request,
    };
  }
}

/** k6's `res.request.cookies`: `{name: [{name, value, replace}]}` from the Cookie header sent. */
function readRequestCookies(headers: Record<string, string>): Record<string, Array<Record<string, unknown>>> {
  const cookies: Record<string, Array<Record<string, unknown>>> = {};
  const header = Object.entries(headers).find(([name]) => name.toLowerCase() === 'cookie')?.[1];
  for (const pair of header ? header.split(/;\s*/) : []) {
    const idx = pair.indexOf('=');
    if (idx <= 0) continue;
    const name = pair.slice(0, idx);
    cookies[name] = [...(cookies[name] ?? []), { name, value: pair.slice(idx + 1), replace: false }];
  }
  return cookies;
}

/** k6's JSON parse error: line and character of the offending byte. */
function describeJsonError(text: string, error: Error): string {
  const at = /position (\d+)/.exec(error.message);
  const offset = at ? Number(at[1]) : 0;
  let line = 1;
  let character = 0;
  for (let i = 0; i < text.length && i <= offset; i++) {
    if (text[i] === '\n') {
      line++;
      character = 0;
    }
    character++;
  }
  return `cannot parse json due to an error at line ${line}, character ${character} , error: ${error.message}`;
}
