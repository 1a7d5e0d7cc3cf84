// k6 docs, Response.html(): query the page with a CSS selector.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  const res = http.get('https://httpbin.test.k6.io/html');
  const doc = res.html();
  check(doc, {
    'heading text': (d) => d.find('h1').text() === 'Herman Melville - Moby-Dick',
    'one paragraph': (d) => d.find('p').size() === 1,
  });
  check(res, { 'html(selector) narrows': (r) => r.html('h1').text().startsWith('Herman') });
}
