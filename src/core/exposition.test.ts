// The one Prometheus exposition reader: samples (the load-test sampler) and families (the monitoring inventory).
import { describe, expect, it } from 'vitest';
import { maxOf, parseFamilies, parseSamples, sumOf } from './exposition.js';

describe('parseSamples', () => {
  it('reads samples with labels and sums series', () => {
    const samples = parseSamples(
      [
        '# HELP shop_db_pool_usage_percent Share of the pool in use',
        '# TYPE shop_db_pool_usage_percent gauge',
        'shop_db_pool_usage_percent{pool_name="default"} 100',
        'shop_http_requests_in_progress{method="GET",endpoint="/api/v1/search"} 3',
        'shop_http_requests_in_progress{method="POST",endpoint="/api/v1/bookings"} 2',
        'shop_http_request_duration_seconds_bucket{le="+Inf",endpoint="a\\"b"} 7',
      ].join('\n'),
    );
    expect(samples[0]).toEqual({
      name: 'shop_db_pool_usage_percent',
      labels: { pool_name: 'default' },
      value: 100,
    });
    expect(sumOf(samples, 'shop_http_requests_in_progress')).toBe(5);
    expect(samples[3]?.labels).toEqual({ le: '+Inf', endpoint: 'a"b' });
    expect(sumOf(samples, 'missing')).toBeUndefined();
  });

  it('reads +Inf values, skips NaN and takes the largest series with maxOf', () => {
    const samples = parseSamples(
      ['a{pool="x"} 40', 'a{pool="y"} 75', 'b +Inf', 'c NaN', '  d 1  '].join('\n'),
    );
    expect(maxOf(samples, 'a')).toBe(75);
    expect(samples.find((s) => s.name === 'b')?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples.some((s) => s.name === 'c')).toBe(false);
    expect(sumOf(samples, 'd')).toBe(1);
    expect(maxOf(samples, 'missing')).toBeUndefined();
  });
});

describe('parseFamilies', () => {
  it('reads histogram samples, labels and declared families without samples', () => {
    const exposition = parseFamilies(
      [
        '# TYPE a_seconds histogram',
        'a_seconds_bucket{le="0.25",method="GET"} 1',
        'a_seconds_count{method="GET"} 1',
        '# TYPE b_total counter',
        '# TYPE c counter',
      ].join('\n'),
    );
    expect(exposition.get('a_seconds_bucket')?.values.get('le')).toEqual(new Set(['0.25']));
    expect(exposition.get('a_seconds_bucket')?.labels).toEqual(new Set(['le', 'method']));
    expect(exposition.get('a_seconds_bucket')?.observed).toBe(true);
    expect(exposition.get('a_seconds_sum')?.observed).toBe(false);
    expect(exposition.get('b_total')?.observed).toBe(false);
    expect(exposition.has('b_total_total')).toBe(false);
    expect(exposition.has('c_total')).toBe(true);
  });
});
