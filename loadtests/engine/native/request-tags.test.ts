/** A VU's request tags are reused between identical requests (the hot path); a change of group, status or URL gives new ones. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScript } from '../../test/scripts.js';
import { runScenario } from '../run.js';

describe('request tags', () => {
  let server: http.Server;
  let base = '';
  let served = 0;
  beforeAll(async () => {
    // the 5th and 6th requests of the run get a 201, every other a 200: each pair of neighbours differs in one thing
    server = http.createServer((_req, res) => {
      served++;
      res.writeHead(served >= 5 ? 201 : 200, { 'content-length': '2' });
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('follow the group, the status and the URL of each request when the same request repeats', async () => {
    const script = writeScript(`
import http from 'k6/http';
import { group } from 'k6';
const selectors = ['http_reqs{group:::a}', 'http_reqs{group:::b}', 'http_reqs{group:}', 'http_reqs{status:200}',
  'http_reqs{status:201}', 'http_reqs{url:${base}/other}', 'http_req_waiting{status:201}'];
export const options = { iterations: 1, vus: 1, thresholds: Object.fromEntries(selectors.map((s) => [s, ['count>=0']])) };
export default function () {
  group('a', () => { http.get('${base}/'); http.get('${base}/'); });
  group('b', () => { http.get('${base}/'); });
  http.get('${base}/');
  http.get('${base}/');
  http.get('${base}/other');
}
`);
    const run = await runScenario({ scenario: script, engine: 'native', resultsDir: false });
    const count = (selector: string) => run.summary.metrics[selector]?.values.count;
    expect(count('http_reqs')).toBe(6);
    expect(count('http_reqs{group:::a}')).toBe(2);
    expect(count('http_reqs{group:::b}')).toBe(1);
    expect(count('http_reqs{group:}')).toBe(3);
    expect(count('http_reqs{status:200}')).toBe(4);
    expect(count('http_reqs{status:201}')).toBe(2);
    expect(count(`http_reqs{url:${base}/other}`)).toBe(1);
    // a metric with a sub-metric takes tagged samples, one without takes them straight: both count every request
    expect(count('http_req_waiting{status:201}')).toBe(2);
    expect(count('http_req_waiting')).toBe(6);
    expect(count('http_req_receiving')).toBe(6);
    expect(run.summary.metrics.data_received?.values.count).toBeGreaterThan(0);
  });
});
