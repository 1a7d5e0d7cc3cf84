/**
 * k6's blocking `k6/http` calls (get, post, ..., request, batch) on the native engine. They return Promises;
 * the sync transform (scenario/sync-transform.ts) awaits every call, so a VU still sends one request at a time,
 * in order, and only `batch` runs requests side by side.
 */

/** `http.asyncRequest` of one VU. */
export type SendRequest = (method: string, url: unknown, body: unknown, params: unknown) => Promise<unknown>;

interface BatchLimits {
  /** options.batch: requests of one batch in flight at once (k6's default 20; 0 = no limit). */
  batch: number;
  /** options.batchPerHost: the same per host (k6's default 6; 0 = no limit). */
  perHost: number;
}

type BatchEntry =
  | string
  | { url: string; name: string }
  | [method: string, url: unknown, body?: unknown, params?: unknown]
  | { method?: string; url: unknown; body?: unknown; params?: unknown };

interface BatchRequest {
  method: string;
  url: unknown;
  body: unknown;
  params: unknown;
}

function toBatchRequest(entry: BatchEntry, key: string): BatchRequest {
  if (typeof entry === 'string') return { method: 'GET', url: entry, body: null, params: undefined };
  if (Array.isArray(entry)) {
    const [method, url, body = null, params] = entry;
    return { method: String(method), url, body, params };
  }
  if (entry && typeof entry === 'object' && 'url' in entry) {
    if ('name' in entry && !('method' in entry))
      return { method: 'GET', url: entry, body: null, params: undefined };
    const e = entry as { method?: string; url: unknown; body?: unknown; params?: unknown };
    return { method: e.method ?? 'GET', url: e.url, body: e.body ?? null, params: e.params };
  }
  throw new Error(
    `http.batch: request ${key} must be a URL, an array [method, url, body, params] or an object`,
  );
}

function hostOf(url: unknown): string {
  const text = typeof url === 'object' && url !== null && 'url' in url ? String(url.url) : String(url);
  try {
    return new URL(text).host;
  } catch {
    return '';
  }
}

/** Runs the requests side by side within the limits; results keep the order of `requests`. */
function runLimited(requests: BatchRequest[], send: SendRequest, limits: BatchLimits): Promise<unknown[]> {
  const results = new Array<unknown>(requests.length);
  const hosts = requests.map((r) => hostOf(r.url));
  const perHost = new Map<string, number>();
  const pending = requests.map((_, i) => i);
  let running = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const start = () => {
      for (let k = 0; k < pending.length && !failed; ) {
        if (limits.batch > 0 && running >= limits.batch) return;
        const i = pending[k]!;
        const host = hosts[i]!;
        const onHost = perHost.get(host) ?? 0;
        if (limits.perHost > 0 && onHost >= limits.perHost) {
          k++;
          continue;
        }
        pending.splice(k, 1);
        running++;
        perHost.set(host, onHost + 1);
        const r = requests[i]!;
        send(r.method, r.url, r.body, r.params).then(
          (response) => {
            results[i] = response;
            running--;
            perHost.set(host, (perHost.get(host) ?? 1) - 1);
            if (++done === requests.length) resolve(results);
            else start();
          },
          (error) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    if (requests.length === 0) resolve(results);
    else start();
  });
}

function readLimit(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`options.${name} must be a non-negative integer, got ${String(value)}`);
  return n;
}

/** The blocking functions of `k6/http` for one VU, on top of its `asyncRequest`. */
export function createBlockingHttp(send: SendRequest, options: Record<string, unknown>) {
  const limits: BatchLimits = {
    batch: readLimit(options.batch, 20, 'batch'),
    perHost: readLimit(options.batchPerHost, 6, 'batchPerHost'),
  };
  return {
    get: (url: unknown, params?: unknown) => send('GET', url, null, params),
    head: (url: unknown, params?: unknown) => send('HEAD', url, null, params),
    post: (url: unknown, body?: unknown, params?: unknown) => send('POST', url, body, params),
    put: (url: unknown, body?: unknown, params?: unknown) => send('PUT', url, body, params),
    patch: (url: unknown, body?: unknown, params?: unknown) => send('PATCH', url, body, params),
    del: (url: unknown, body?: unknown, params?: unknown) => send('DELETE', url, body, params),
    options: (url: unknown, body?: unknown, params?: unknown) => send('OPTIONS', url, body, params),
    request: (method: string, url: unknown, body?: unknown, params?: unknown) =>
      send(String(method), url, body ?? null, params),
    async batch(requests: BatchEntry[] | Record<string, BatchEntry>): Promise<unknown> {
      if (Array.isArray(requests)) {
        return runLimited(
          requests.map((r, i) => toBatchRequest(r, String(i))),
          send,
          limits,
        );
      }
      if (!requests || typeof requests !== 'object')
        throw new Error('http.batch takes an array or an object of requests');
      const keys = Object.keys(requests);
      const results = await runLimited(
        keys.map((k) => toBatchRequest(requests[k]!, JSON.stringify(k))),
        send,
        limits,
      );
      return Object.fromEntries(keys.map((k, i) => [k, results[i]]));
    },
  };
}
