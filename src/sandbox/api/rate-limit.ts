/** In-memory sliding-window rate limiter (the platform uses a Redis sorted set per key; same arithmetic). */

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window has room again (0 when it has room now). */
  retryAfterSeconds: number;
  /** Seconds until the window is completely empty. */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastSweep = Date.now();

  /** Records a hit for `key` if the window has room. */
  hit(key: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    this.sweep(windowMs, now);
    const times = this.prune(key, windowMs, now);
    if (times.length >= limit) return this.decide(times, limit, windowMs, now, false);
    times.push(now);
    return this.decide(times, limit, windowMs, now, true);
  }

  /** The current state of a window without recording a hit. */
  peek(key: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const times = this.prune(key, windowMs, now);
    return this.decide(times, limit, windowMs, now, times.length < limit);
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, windowMs: number, now: number): number[] {
    let times = this.hits.get(key);
    if (!times) {
      times = [];
      this.hits.set(key, times);
    }
    let drop = 0;
    while (drop < times.length && (times[drop] as number) <= now - windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }

  private decide(
    times: number[],
    limit: number,
    windowMs: number,
    now: number,
    allowed: boolean,
  ): LimitDecision {
    const oldest = times[0];
    const newest = times[times.length - 1];
    const untilOldestExpires =
      oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - times.length),
      retryAfterSeconds: times.length >= limit ? untilOldestExpires : 0,
      resetSeconds: newest === undefined ? 0 : Math.max(1, Math.ceil((newest + windowMs - now) / 1000)),
    };
  }

  /** Drops empty keys now and then so spoofed IPs cannot grow memory without bound. */
  private sweep(windowMs: number, now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, times] of this.hits) {
      if (times.length === 0 || (times[times.length - 1] as number) <= now - windowMs) this.hits.delete(key);
    }
  }
}
