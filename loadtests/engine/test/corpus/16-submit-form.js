// k6 docs, Response.submitForm(): fill in a form and submit it.

import { check, sleep } from 'k6';
import http from 'k6/http';

export default function () {
  // Request page containing a form
  let res = http.get('https://httpbin.test.k6.io/forms/post');

  // Now, submit form setting/overriding some fields of the form
  res = res.submitForm({
    formSelector: 'form',
    fields: { custname: 'test', extradata: 'test2' },
  });
  check(res, {
    'posted to the action': (r) => r.url === 'https://httpbin.test.k6.io/post',
    'custname sent': (r) => r.json('form.custname') === 'test',
    'extra field sent': (r) => r.json('form.extradata') === 'test2',
  });
  sleep(0.1);
}
