// k6 docs, http.setResponseCallback(http.expectedStatuses(...)): what counts as a failed request.
import http from 'k6/http';

http.setResponseCallback(http.expectedStatuses({ min: 200, max: 300 }, 404));

export default function () {
  http.get('https://httpbin.test.k6.io/status/200');
  http.get('https://httpbin.test.k6.io/status/404');
  http.get('https://httpbin.test.k6.io/status/500');
  // a per-request callback wins over the default
  http.get('https://httpbin.test.k6.io/status/500', { responseCallback: http.expectedStatuses(500) });
}
