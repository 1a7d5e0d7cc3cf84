// Minimal declarations of the k6 modules portable scenarios use (the subset both engines run).
declare const __ENV: Record<string, string | undefined>;
declare const __VU: number;
declare const __ITER: number;
declare function open(path: string, mode?: 'b'): string;

declare module 'k6' {
  export function sleep(seconds: number): Promise<void> | void;
  export function check<T>(
    value: T,
    sets: Record<string, (value: T) => unknown>,
    tags?: Record<string, string>,
  ): boolean;
  /** Blocking as in k6: the native engine awaits the group (and a callback that makes requests). */
  export function group<T>(name: string, fn: () => T): T;
  export function fail(message?: string): never;
  export function randomSeed(seed: number): void;
}

declare module 'k6/http' {
  export interface RefinedResponse {
    status: number;
    status_text: string;
    body: string | ArrayBuffer | null;
    headers: Record<string, string>;
    cookies: Record<string, Array<{ name: string; value: string }>>;
    url: string;
    error: string;
    error_code: number;
    timings: {
      duration: number;
      blocked: number;
      connecting: number;
      tls_handshaking: number;
      sending: number;
      waiting: number;
      receiving: number;
    };
    json(selector?: string): unknown;
  }
  export interface Params {
    headers?: Record<string, string>;
    tags?: Record<string, string>;
    timeout?: string | number;
    responseType?: 'text' | 'binary' | 'none';
    redirects?: number;
    responseCallback?: unknown;
    cookies?: Record<string, string>;
  }
  export type RequestBody = string | Record<string, string> | ArrayBuffer | null | undefined;
  export function asyncRequest(
    method: string,
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): Promise<RefinedResponse>;
  export function expectedStatuses(...statuses: Array<number | { min: number; max: number }>): unknown;
  export function setResponseCallback(callback: unknown): void;
  // Blocking, as in k6: on the native engine the sync transform awaits each call (loadtests/README.md).
  export function get(url: string | { url: string; name: string }, params?: Params): RefinedResponse;
  export function head(url: string | { url: string; name: string }, params?: Params): RefinedResponse;
  export function post(
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export function put(
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export function patch(
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export function del(
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export function options(
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export function request(
    method: string,
    url: string | { url: string; name: string },
    body?: RequestBody,
    params?: Params,
  ): RefinedResponse;
  export type BatchRequest =
    | string
    | [method: string, url: string, body?: RequestBody, params?: Params]
    | { method?: string; url: string; body?: RequestBody; params?: Params };
  export function batch(requests: BatchRequest[]): RefinedResponse[];
  export function batch<K extends string>(requests: Record<K, BatchRequest>): Record<K, RefinedResponse>;
  const http: {
    asyncRequest: typeof asyncRequest;
    expectedStatuses: typeof expectedStatuses;
    setResponseCallback: typeof setResponseCallback;
    get: typeof get;
    head: typeof head;
    post: typeof post;
    put: typeof put;
    patch: typeof patch;
    del: typeof del;
    options: typeof options;
    request: typeof request;
    batch: typeof batch;
  };
  export default http;
}

declare module 'k6/metrics' {
  export class Counter {
    constructor(name: string, isTime?: boolean);
    add(value: number, tags?: Record<string, string>): void;
  }
  export class Gauge {
    constructor(name: string, isTime?: boolean);
    add(value: number, tags?: Record<string, string>): void;
  }
  export class Rate {
    constructor(name: string, isTime?: boolean);
    add(value: number | boolean, tags?: Record<string, string>): void;
  }
  export class Trend {
    constructor(name: string, isTime?: boolean);
    add(value: number, tags?: Record<string, string>): void;
  }
}

declare module 'k6/execution' {
  const exec: {
    vu: {
      idInInstance: number;
      idInTest: number;
      iterationInInstance: number;
      iterationInScenario: number;
      tags: Record<string, string>;
    };
    scenario: {
      name: string;
      executor: string;
      startTime: number;
      progress: number;
      iterationInInstance: number;
      iterationInTest: number;
    };
    instance: {
      vusActive: number;
      vusInitialized: number;
      currentTestRunDuration: number;
      iterationsCompleted: number;
      iterationsInterrupted: number;
    };
    test: { abort(reason?: string): never; options: Record<string, unknown> };
  };
  export default exec;
}

declare module 'k6/data' {
  export class SharedArray<T = unknown> extends Array<T> {
    constructor(name: string, factory: () => T[]);
  }
}
