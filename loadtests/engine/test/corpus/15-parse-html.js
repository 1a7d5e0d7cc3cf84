// k6 docs, k6/html parseHTML(): find, attr, each, children.

import { check } from 'k6';
import { parseHTML } from 'k6/html';
import http from 'k6/http';

export default function () {
  const res = http.get('https://httpbin.test.k6.io/links/4/0');
  const doc = parseHTML(res.body);
  const hrefs = [];
  // biome-ignore lint/correctness/noUnusedFunctionParameters: the callback signature as k6's documentation writes it
  doc.find('a').each((idx, el) => {
    hrefs.push(el.getAttribute('href'));
  });
  check(hrefs, {
    'three links': (h) => h.length === 3,
    'first link': (h) => h[0] === '/links/4/1',
  });
  check(doc, {
    'attr of the first match': (d) => d.find('a').attr('href') === '/links/4/1',
    'attr default': (d) => d.find('a').attr('data-missing', 'none') === 'none',
    'toArray of selections': (d) => d.find('a').toArray()[2].text() === '3',
  });
}
