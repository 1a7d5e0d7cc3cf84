// k6 docs, Response.json(selector): gjson paths into the body (httpbin echoes the posted document under "json").

import { check } from 'k6';
import http from 'k6/http';

const slideshow = {
  slideshow: {
    author: 'Yours Truly',
    title: 'Sample Slide Show',
    slides: [
      { title: 'Wake up to WonderWidgets!', type: 'all' },
      { title: 'Overview', type: 'all', items: ['Why WonderWidgets are great', 'Who buys WonderWidgets'] },
    ],
  },
};

export default function () {
  const res = http.post('https://httpbin.test.k6.io/anything', JSON.stringify(slideshow), {
    headers: { 'Content-Type': 'application/json' },
  });
  check(res, {
    'title by path': (r) => r.json('json.slideshow.title') === 'Sample Slide Show',
    'slide count': (r) => r.json('json.slideshow.slides.#') === 2,
    'second slide title': (r) => r.json('json.slideshow.slides.1.title') === 'Overview',
    'all slide types': (r) => r.json('json.slideshow.slides.#.type').join(',') === 'all,all',
    'query by field': (r) => r.json('json.slideshow.slides.#(title=="Overview").items.#') === 2,
    'missing path is undefined': (r) => r.json('json.slideshow.nothing') === undefined,
    'whole body': (r) => r.json().json.slideshow.author === 'Yours Truly',
  });
}
