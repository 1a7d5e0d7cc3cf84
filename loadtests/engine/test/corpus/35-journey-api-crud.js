// A realistic journey in k6's documented style ("API CRUD operations"): create, read, update, delete.

import { check, fail, group } from 'k6';
import http from 'k6/http';

export const options = {
  scenarios: {
    crud: { executor: 'per-vu-iterations', vus: 2, iterations: 3 },
  },
};

const BASE_URL = 'https://httpbin.test.k6.io/anything';

export default function () {
  const requestConfigWithTag = (tag) => ({
    headers: { 'Content-Type': 'application/json' },
    tags: Object.assign({}, { name: 'PrivateCrocs' }, tag),
  });

  let URL = `${BASE_URL}/my/crocodiles/`;

  group('01. Create a new crocodile', () => {
    const payload = { name: `Name ${__VU}-${__ITER}`, sex: 'F', date_of_birth: '2023-05-11' };
    const res = http.post(URL, JSON.stringify(payload), requestConfigWithTag({ name: 'Create' }));
    if (check(res, { 'Croc created correctly': (r) => r.status === 200 })) {
      URL = `${URL}${__VU}${__ITER}/`;
    } else {
      fail(`Unable to create a Croc ${res.status} ${res.body}`);
    }
  });

  group('02. Fetch private crocs', () => {
    const res = http.get(URL, requestConfigWithTag({ name: 'Fetch' }));
    check(res, { 'retrieved crocs status': (r) => r.status === 200 });
  });

  group('03. Update the croc', () => {
    const payload = { name: 'New name' };
    const res = http.patch(URL, JSON.stringify(payload), requestConfigWithTag({ name: 'Update' }));
    const isSuccessfulUpdate = check(res, {
      'Update worked': () => res.status === 200,
      'Updated name is correct': () => res.json('json.name') === 'New name',
    });
    if (!isSuccessfulUpdate) console.log(`Unable to update the croc ${res.status} ${res.body}`);
  });

  group('04. Delete the croc', () => {
    const delRes = http.del(URL, null, requestConfigWithTag({ name: 'Delete' }));
    check(delRes, { 'Croc was deleted correctly': () => delRes.status === 200 });
  });
}
