// k6 docs, http.batch(): the object form, with request objects.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const requests = {
    'front page': 'https://httpbin.test.k6.io/',
    'features page': {
      method: 'GET',
      url: 'https://httpbin.test.k6.io/anything/features',
      params: { headers: { 'User-Agent': 'k6' } },
    },
  };
  const responses = http.batch(requests);
  // when accessing results, we use the name of the request as index
  // in order to find the corresponding Response object
  check(responses['front page'], {
    'front page status was 200': (res) => res.status === 200,
  });
  check(responses['features page'], {
    'features page sent its own User-Agent': (res) => res.json('headers.User-Agent') === 'k6',
  });
}
