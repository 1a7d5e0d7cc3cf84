// An abort (Ctrl-C) while requests are in flight: they still get their answers (a booking the server made is then
// seen), the script may record them at an afterAbortUrls address (preflight's journal), and nothing else starts.
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import { runScenario } from '../run.js';

it('lets the requests in flight at an abort finish, allows the journal, refuses any other request', async () => {
  const hits = { slow: 0, slowAnswered: 0, journal: 0, other: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/slow') {
      hits.slow++;
      setTimeout(() => {
        hits.slowAnswered++;
        res.end('made');
      }, 600);
    } else if (req.url === '/journal') {
      hits.journal++;
      res.writeHead(204).end();
    } else {
      hits.other++;
      res.end('other');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = writeScript(`
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 3, iterations: 1 } } };
export default function () {
  const made = http.get('${base}/slow');
  http.post('${base}/journal', made.body);
  http.get('${base}/other');
}
`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 250);
  try {
    await runScenario({
      scenario: path,
      engine: 'native',
      resultsDir: false,
      signal: controller.signal,
      afterAbortUrls: [`${base}/journal`],
    });
  } finally {
    clearTimeout(timer);
    server.close();
    rmSync(dirname(path), { recursive: true, force: true });
  }
  expect(hits.slow).toBe(3);
  expect(hits.slowAnswered).toBe(3);
  // every answer made before or during the abort was recorded; nothing after it
  expect(hits.journal).toBe(3);
  expect(hits.other).toBe(0);
});
