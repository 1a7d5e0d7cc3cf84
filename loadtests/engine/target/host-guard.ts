/** The host guard of a run: a target's allowed hosts, or loopback (plus config-allowed hosts) for raw scripts. */
import { PreflightError } from '../../../src/core/errors.js';
import { isLoopbackHost } from '../../../src/core/net.js';
import { assertAllowedUrl, type ResolvedTarget } from '../../../src/core/target.js';

/** Serializable (it crosses into worker threads). */
export interface GuardSpec {
  /** Set when the run has a target: every URL must pass assertAllowedUrl. */
  target?: { name: string; allowedHosts: string[]; sandbox: boolean };
  /** Extra hosts a raw script may reach (config `load.allowedHosts`-style); loopback is always allowed. */
  extraHosts?: string[];
  /**
   * URL prefixes a VU may still request after the run was aborted (preflight's own booking journal): the answer
   * to a request in flight at the abort is still recorded there, so clean-up knows what it created.
   */
  afterAbortUrls?: string[];
}

export function createGuardSpec(
  target: ResolvedTarget | undefined,
  extraHosts: string[] = [],
  afterAbortUrls: string[] = [],
): GuardSpec {
  return target
    ? {
        target: {
          name: target.name,
          allowedHosts: target.allowedHosts,
          sandbox: target.sandbox !== undefined,
        },
        afterAbortUrls,
      }
    : { extraHosts, afterAbortUrls };
}

/** Whether `url` may still be requested after an abort (a prefix of `spec.afterAbortUrls`). */
export function isAllowedAfterAbort(spec: GuardSpec, url: URL): boolean {
  const urls = spec.afterAbortUrls;
  if (!urls?.length) return false;
  const href = url.href;
  return urls.some((prefix) => href.startsWith(prefix));
}

/** Builds the check every request runs before it is sent. */
export function createUrlGuard(spec: GuardSpec): (url: URL) => void {
  const cache = new Map<string, PreflightError | null>();
  // URL objects this guard has allowed (held weakly: a URL dropped from the caller's cache is collected)
  const allowedUrls = new WeakSet<URL>();
  if (spec.target) {
    const target = {
      ...spec.target,
      sandbox: spec.target.sandbox ? {} : undefined,
    } as unknown as ResolvedTarget;
    return (url) => {
      if (allowedUrls.has(url)) return;
      let verdict = cache.get(url.host);
      if (verdict === undefined) {
        try {
          assertAllowedUrl(target, url.href);
          verdict = null;
        } catch (error) {
          verdict = error as PreflightError;
        }
        if (cache.size < 1000) cache.set(url.host, verdict);
      }
      if (verdict) throw verdict;
      allowedUrls.add(url);
    };
  }
  const extra = new Set((spec.extraHosts ?? []).map((h) => h.toLowerCase()));
  // hostnames already allowed (a run sends to the same few again and again)
  const allowed = new Set<string>();
  return (url) => {
    // the same URL object again (request URLs are cached and never mutated): no getter, no string
    if (allowedUrls.has(url)) return;
    if (allowed.has(url.hostname)) {
      allowedUrls.add(url);
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isLoopbackHost(host) || extra.has(host)) {
      if (allowed.size < 1000) allowed.add(url.hostname);
      allowedUrls.add(url);
      return;
    }
    throw new PreflightError(
      'E_TARGET_NOT_ALLOWED',
      `Refusing to send traffic to ${host}: a script run without --target may reach only loopback hosts`,
      {
        hint: 'run it with --target <name> for a target in preflight.yaml that allows this host',
      },
    );
  };
}
