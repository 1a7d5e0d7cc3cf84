// Pure bookkeeping of the rate-limit conformance scenario: which bucket a 429 came from, and how many hits each
// bucket has already counted from this run (one client IP shares the global and login-per-IP buckets).

/** The limits the scenario checks, in the order the platform applies them to a request. */
export type LimitName = 'global' | 'login_ip' | 'login_email' | 'bookings';

/** A bucket a request counts in: a limit and its key (an email, a user), or the limit alone for per-IP buckets. */
export interface Bucket {
  limit: LimitName;
  key?: string;
}

export const bucketId = (bucket: Bucket): string =>
  bucket.key === undefined ? bucket.limit : `${bucket.limit}:${bucket.key}`;

/**
 * The bucket that refused a 429: the one whose configured limit equals the answer's X-RateLimit-Limit, preferring
 * `underTest` when several match; without the header (or no match) the bucket under test.
 */
export function attributeRefusal(
  buckets: Bucket[],
  limitHeader: number | undefined,
  configured: Record<LimitName, number>,
  underTest: LimitName,
): Bucket {
  const own = buckets.find((b) => b.limit === underTest) as Bucket;
  if (limitHeader === undefined || configured[underTest] === limitHeader) return own;
  return buckets.find((b) => configured[b.limit] === limitHeader) ?? own;
}

/**
 * The buckets a request counted in: all of them when it was allowed; when one refused it, the ones the platform
 * checks before that one (the global limit runs first, then the route's limits in order).
 */
export function countedBuckets(buckets: Bucket[], refusedBy: Bucket | undefined): Bucket[] {
  if (!refusedBy) return buckets;
  const index = buckets.findIndex((b) => bucketId(b) === bucketId(refusedBy));
  return index < 0 ? buckets : buckets.slice(0, index);
}

/** Hit times per bucket, so a measurement knows what else the same window already holds. */
export class HitLedger {
  private readonly hits = new Map<string, number[]>();

  record(buckets: Bucket[], atMs: number): void {
    for (const bucket of buckets) {
      const id = bucketId(bucket);
      const list = this.hits.get(id) ?? [];
      list.push(atMs);
      this.hits.set(id, list);
    }
  }

  /** Hits of `bucket` after `sinceMs`. */
  countSince(bucket: Bucket, sinceMs: number): number {
    return (this.hits.get(bucketId(bucket)) ?? []).filter((t) => t > sinceMs).length;
  }

  /** When `bucket` has room for one more hit of `limit` per `windowMs` (`nowMs` when it has room now). */
  roomAtMs(bucket: Bucket, limit: number, windowMs: number, nowMs: number): number {
    const recent = (this.hits.get(bucketId(bucket)) ?? [])
      .filter((t) => t > nowMs - windowMs)
      .sort((a, b) => a - b);
    if (recent.length < limit) return nowMs;
    return (recent[recent.length - limit] as number) + windowMs;
  }

  /** The last hit of any bucket, or undefined before the first. */
  lastHitMs(): number | undefined {
    let last: number | undefined;
    for (const list of this.hits.values())
      for (const t of list) last = last === undefined ? t : Math.max(last, t);
    return last;
  }
}

/** How many requests a burst sends: the limit and half again (at least 2 more), so a leaky limiter shows. */
export const burstSize = (limit: number): number => limit + Math.max(2, Math.ceil(limit / 2));

/** Allowed deviation from a configured limit: `share` of it, at least one request. */
export const toleranceOf = (limit: number, share: number): number => Math.max(1, Math.round(limit * share));
