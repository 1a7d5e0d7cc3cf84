// The rate-limit conformance bookkeeping: which bucket refused a request, which buckets it counted in, and what a
// window already holds from the same run.
import { describe, expect, it } from 'vitest';
import {
  attributeRefusal,
  type Bucket,
  burstSize,
  countedBuckets,
  HitLedger,
  toleranceOf,
} from './rate-limit-ledger.js';

const configured = { global: 150, login_ip: 20, login_email: 5, bookings: 20 };
const global: Bucket = { limit: 'global' };
const loginIp: Bucket = { limit: 'login_ip' };
const email: Bucket = { limit: 'login_email', key: 'a@example.com' };
const login = [global, loginIp, email];

describe('attributeRefusal', () => {
  it("names the bucket whose configured limit is the 429's X-RateLimit-Limit", () => {
    expect(attributeRefusal(login, 150, configured, 'login_email')).toBe(global);
    expect(attributeRefusal(login, 20, configured, 'login_email')).toBe(loginIp);
    expect(attributeRefusal(login, 5, configured, 'login_email')).toBe(email);
  });

  it('prefers the bucket under test when limits are equal, and falls back to it without a usable header', () => {
    const bookings: Bucket = { limit: 'bookings', key: 'a@example.com' };
    expect(attributeRefusal([global, bookings], 20, configured, 'bookings')).toBe(bookings);
    const equal = { ...configured, login_ip: 5 };
    expect(attributeRefusal(login, 5, equal, 'login_email')).toBe(email);
    expect(attributeRefusal(login, 5, equal, 'login_ip')).toBe(loginIp);
    expect(attributeRefusal(login, undefined, configured, 'login_ip')).toBe(loginIp);
    expect(attributeRefusal(login, 999, configured, 'login_ip')).toBe(loginIp);
  });
});

describe('countedBuckets', () => {
  it('an allowed request counts everywhere; a refused one only in the buckets checked before the refusing one', () => {
    expect(countedBuckets(login, undefined)).toEqual(login);
    expect(countedBuckets(login, global)).toEqual([]);
    expect(countedBuckets(login, loginIp)).toEqual([global]);
    expect(countedBuckets(login, email)).toEqual([global, loginIp]);
  });
});

describe('HitLedger', () => {
  it('counts the hits of a bucket inside a window and says when it has room again', () => {
    const ledger = new HitLedger();
    ledger.record([global, loginIp], 1_000);
    ledger.record([global], 2_000);
    ledger.record([global, loginIp, email], 3_000);
    expect(ledger.countSince(global, 0)).toBe(3);
    expect(ledger.countSince(global, 1_000)).toBe(2);
    expect(ledger.countSince(loginIp, 0)).toBe(2);
    expect(ledger.countSince({ limit: 'login_email', key: 'other@example.com' }, 0)).toBe(0);
    // a limit of 2 per 10 s: full until the second newest hit (2 000) leaves the window
    expect(ledger.roomAtMs(global, 2, 10_000, 3_500)).toBe(12_000);
    expect(ledger.roomAtMs(global, 5, 10_000, 3_500)).toBe(3_500);
    expect(ledger.lastHitMs()).toBe(3_000);
  });
});

describe('sizes', () => {
  it('bursts half again over the limit (at least 2 more); tolerance at least one request', () => {
    expect(burstSize(150)).toBe(225);
    expect(burstSize(5)).toBe(8);
    expect(burstSize(1)).toBe(3);
    expect(toleranceOf(150, 0.1)).toBe(15);
    expect(toleranceOf(5, 0.1)).toBe(1);
  });
});
