// k6 docs, "Tags and Groups": groups that make requests.
import { check, group } from 'k6';
import http from 'k6/http';

export default function () {
  group('visit product listing page', () => {
    const res = http.get('https://httpbin.test.k6.io/anything/products');
    check(res, { 'listing is 200': (r) => r.status === 200 });
  });
  group('add several products to the shopping cart', () => {
    http.post('https://httpbin.test.k6.io/anything/cart', { product: '1' });
    http.post('https://httpbin.test.k6.io/anything/cart', { product: '2' });
  });
  group('visit login page', () => {
    group('nested', () => {
      http.get('https://httpbin.test.k6.io/anything/login');
    });
  });
}
