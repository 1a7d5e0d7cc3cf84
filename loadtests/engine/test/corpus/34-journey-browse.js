// A realistic journey in k6's documented style: load a page, fetch its static resources in one batch, follow a link.

import { check, group } from 'k6';
import http from 'k6/http';

export const options = { iterations: 3, batchPerHost: 2 };

export default function () {
  group('home page', () => {
    const res = http.get('https://httpbin.test.k6.io/links/3/0');
    check(res, { 'home is 200': (r) => r.status === 200 });
    const assets = http.batch([
      ['GET', 'https://httpbin.test.k6.io/image/png', null, { tags: { name: 'static' } }],
      ['GET', 'https://httpbin.test.k6.io/image/jpeg', null, { tags: { name: 'static' } }],
      ['GET', 'https://httpbin.test.k6.io/robots.txt', null, { tags: { name: 'static' } }],
    ]);
    check(assets, { 'all assets loaded': (list) => list.every((r) => r.status === 200) });
    const next = res.clickLink({ selector: 'a' });
    check(next, { 'followed a link': (r) => r.url === 'https://httpbin.test.k6.io/links/3/1' });
  });
}
