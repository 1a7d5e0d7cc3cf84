// In-memory sliding-window limits (a log of hit times per key), the platform's 429 body and X-RateLimit headers.
import type { IncomingMessage } from 'node:http';
import { type RequestContext, sendJson } from './http-kit.js';

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the oldest counted hit leaves the window. */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(readonly windowMs: number) {}

  /** Counts a hit under `key` when it fits in `limit`; a refused hit is not counted. */
  take(key: string, limit: number): LimitDecision {
    return this.decide(key, limit, true);
  }

  /** The state of `key` without counting a hit. */
  peek(key: string, limit: number): LimitDecision {
    return this.decide(key, limit, false);
  }

  reset(): void {
    this.hits.clear();
  }

  private decide(key: string, limit: number, record: boolean): LimitDecision {
    const now = Date.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    const allowed = recent.length < limit;
    if (allowed && record) recent.push(now);
    if (recent.length > 0) this.hits.set(key, recent);
    else this.hits.delete(key);
    const oldest = recent[0];
    const resetSeconds =
      oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    return { allowed, limit, remaining: Math.max(0, limit - recent.length), resetSeconds };
  }
}

export function buildRateLimitHeaders(decision: LimitDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetSeconds),
  };
}

export function sendRateLimited(ctx: RequestContext, decision: LimitDecision): void {
  const retryAfter = Math.max(1, decision.resetSeconds);
  sendJson(
    ctx,
    429,
    { detail: 'Rate limit exceeded. Try again later.', code: 'RATE_LIMIT_EXCEEDED', retry_after: retryAfter },
    { ...buildRateLimitHeaders(decision), 'Retry-After': String(retryAfter) },
  );
}

/** The client IP as the platform reads it: CF-Connecting-IP, else the first X-Forwarded-For, else the socket. */
export function getClientIp(req: IncomingMessage): string {
  const cf = req.headers['cf-connecting-ip'];
  if (typeof cf === 'string' && cf.trim()) return cf.trim();
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (first) return first;
  return req.socket.remoteAddress ?? 'unknown';
}
