import { describe, expect, it } from 'vitest';
import { getPollDelayMs } from './backoff.js';
import { parseListenAddress } from './listen.js';
import { classifyAcquireFailure } from './probe.js';

describe('pool exporter helpers', () => {
  it('polls at the interval while up and backs off with jitter, capped, while down', () => {
    expect(getPollDelayMs(0, 1000, 30_000, () => 0.99)).toBe(1000);
    // full jitter over [0, min(cap, interval * 2^failures)), floored at half the interval
    expect(getPollDelayMs(1, 1000, 30_000, () => 0.5)).toBe(1000);
    expect(getPollDelayMs(3, 1000, 30_000, () => 0.5)).toBe(4000);
    expect(getPollDelayMs(3, 1000, 30_000, () => 0)).toBe(500);
    expect(getPollDelayMs(20, 1000, 30_000, () => 0.999)).toBeLessThanOrEqual(30_000);
    expect(getPollDelayMs(20, 1000, 30_000, () => 0.999)).toBeGreaterThan(29_000);
  });

  it('reads --listen forms and names a bad value', () => {
    expect(parseListenAddress('127.0.0.1:9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress(':9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListenAddress('9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(() => parseListenAddress('localhost:99999')).toThrow(/`--listen`.*localhost:99999/);
    expect(() => parseListenAddress('nowhere')).toThrow(/got `nowhere`/);
  });

  it('classifies probe failures into a fixed set of causes', () => {
    expect(classifyAcquireFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('refused');
    expect(classifyAcquireFailure(new Error('Query read timeout'))).toBe('timeout');
    expect(classifyAcquireFailure(Object.assign(new Error('x'), { code: '28P01' }))).toBe('auth');
    expect(classifyAcquireFailure(Object.assign(new Error('x'), { code: '53300' }))).toBe(
      'too_many_connections',
    );
    expect(classifyAcquireFailure(new Error('no more connections allowed (max_client_conn)'))).toBe(
      'too_many_connections',
    );
    expect(classifyAcquireFailure(Object.assign(new Error('x'), { code: '57P01' }))).toBe('server_shutdown');
    expect(classifyAcquireFailure(Object.assign(new Error('x'), { code: '42P01' }))).toBe('server_error');
    expect(classifyAcquireFailure(new Error('Connection terminated unexpectedly'))).toBe('network');
  });
});
