// k6 docs, "URL grouping": the name tag and http.url.
import http from 'k6/http';

export const options = { iterations: 3 };

export default function () {
  for (let id = 1; id <= 2; id++) {
    http.get(`https://httpbin.test.k6.io/anything/posts/${id}`, {
      tags: { name: 'PostsItemURL' },
    });
  }
  const id = 7;
  http.get(http.url`https://httpbin.test.k6.io/anything/items/${id}`);
  http.get('https://httpbin.test.k6.io/anything/tagged', { tags: { my_tag: "I'm a tag" } });
}
