/**
 * k6's options from environment variables (k6 reads them over the script's `options`, under the CLI flags), for the
 * HTTP options the native engine honours: K6_HOSTS, K6_USER_AGENT, K6_MAX_REDIRECTS, K6_BATCH, K6_BATCH_PER_HOST,
 * K6_DISCARD_RESPONSE_BODIES, K6_INSECURE_SKIP_TLS_VERIFY, K6_NO_COOKIES_RESET, K6_THROW.
 */
import { PreflightError } from '../../../src/core/errors.js';
import type { K6Options } from './options.js';

function readBoolean(name: string, value: string): boolean {
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new PreflightError('E_USAGE', `${name} must be true or false, got \`${value}\``);
}

function readCount(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new PreflightError('E_USAGE', `${name} must be a non-negative integer, got \`${value}\``);
  return Number(value);
}

function readHosts(value: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== 'string')
  )
    throw new PreflightError('E_USAGE', 'K6_HOSTS must be a JSON object of host names to addresses', {
      hint: `for example K6_HOSTS='{"test.k6.io":"127.0.0.1:8080"}'`,
    });
  return parsed as Record<string, string>;
}

/** `options` with the K6_* variables set in `env` applied over it (a new object; `options` is left alone). */
export function applyEnvOptions(options: K6Options, env: NodeJS.ProcessEnv): K6Options {
  const out: K6Options = { ...options };
  const set = (name: string, apply: (value: string) => void) => {
    const value = env[name];
    if (value !== undefined && value !== '') apply(value);
  };
  set('K6_HOSTS', (v) => {
    out.hosts = readHosts(v);
  });
  set('K6_USER_AGENT', (v) => {
    out.userAgent = v;
  });
  set('K6_MAX_REDIRECTS', (v) => {
    out.maxRedirects = readCount('K6_MAX_REDIRECTS', v);
  });
  set('K6_BATCH', (v) => {
    out.batch = readCount('K6_BATCH', v);
  });
  set('K6_BATCH_PER_HOST', (v) => {
    out.batchPerHost = readCount('K6_BATCH_PER_HOST', v);
  });
  set('K6_DISCARD_RESPONSE_BODIES', (v) => {
    out.discardResponseBodies = readBoolean('K6_DISCARD_RESPONSE_BODIES', v);
  });
  set('K6_INSECURE_SKIP_TLS_VERIFY', (v) => {
    out.insecureSkipTLSVerify = readBoolean('K6_INSECURE_SKIP_TLS_VERIFY', v);
  });
  set('K6_NO_COOKIES_RESET', (v) => {
    out.noCookiesReset = readBoolean('K6_NO_COOKIES_RESET', v);
  });
  set('K6_THROW', (v) => {
    out.throw = readBoolean('K6_THROW', v);
  });
  return out;
}
