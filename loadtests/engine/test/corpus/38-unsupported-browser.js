// k6 docs, k6/browser and a remote jslib import: both refused before the run.

import { randomString } from 'https://jslib.k6.io/k6-utils/1.2.0/index.js';
import { browser } from 'k6/browser';

export const options = {
  scenarios: { ui: { executor: 'shared-iterations', options: { browser: { type: 'chromium' } } } },
};

export default async function () {
  const page = await browser.newPage();
  await page.goto(`https://test.k6.io/?${randomString(4)}`);
  await page.close();
}
