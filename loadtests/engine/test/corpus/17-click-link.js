// k6 docs, Response.clickLink(): follow a link of the page.

import { check } from 'k6';
import http from 'k6/http';

export default function () {
  // Request page with links
  let res = http.get('https://httpbin.test.k6.io/links/10/0');

  // Now, click the 4th link on the page
  res = res.clickLink({ selector: 'a:nth-child(4)' });
  check(res, { 'followed the 4th link': (r) => r.url === 'https://httpbin.test.k6.io/links/10/4' });
}
