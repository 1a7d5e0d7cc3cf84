import { describe, expect, it } from 'vitest';
import { readQueryReferences, selectMetric } from './promql.js';

describe('readQueryReferences', () => {
  it('finds metrics, matchers and grouping labels, skipping functions, aggregations, strings and durations', () => {
    const refs = readQueryReferences(
      'histogram_quantile(0.95, sum by (endpoint, le) (rate(instainstru_http_request_duration_seconds_bucket{environment="$environment",endpoint=~"$endpoint"}[$__rate_interval]))) > 0.3',
    );
    expect(refs.metrics).toEqual([
      {
        metric: 'instainstru_http_request_duration_seconds_bucket',
        matchers: [
          { label: 'environment', op: '=', value: '$environment' },
          { label: 'endpoint', op: '=~', value: '$endpoint' },
        ],
      },
    ]);
    expect(refs.groupingLabels).toEqual(['endpoint', 'le']);
  });

  it('reads binary expressions, recording-rule names, offsets and bare selectors', () => {
    const refs = readQueryReferences(
      '(slo:availability_errors:ratio_rate1h > 0.072 and on (environment) slo:availability_errors:ratio_rate5m > 0.072) or time() - max by (target) (preflight_backup_last_success_timestamp_seconds offset 5m) > 93600 unless {__name__="up", job="x"}',
    );
    expect(refs.metrics.map((m) => m.metric)).toEqual([
      'slo:availability_errors:ratio_rate1h',
      'slo:availability_errors:ratio_rate5m',
      'preflight_backup_last_success_timestamp_seconds',
      'up',
    ]);
    expect(refs.metrics[3]!.matchers).toEqual([{ label: 'job', op: '=', value: 'x' }]);
    expect(refs.groupingLabels).toEqual(['environment', 'target']);
  });

  it('does not mistake label values or numbers with units for metrics', () => {
    const refs = readQueryReferences('sum(rate(a_total{status_code=~"5..", x="sum(b)"}[5m])) / 1e3 + 2.5');
    expect(refs.metrics.map((m) => m.metric)).toEqual(['a_total']);
  });
});

describe('selectMetric', () => {
  it('joins matchers and leaves out empty ones', () => {
    expect(selectMetric('up')).toBe('up');
    expect(selectMetric('up', undefined, 'job="a"')).toBe('up{job="a"}');
  });
});
