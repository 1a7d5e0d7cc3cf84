/**
 * `npm run bench:sync-designs`: what a blocking k6 call costs in two designs for synchronous scripts, measured on
 * the same stand-in request (one that completes on the next turn of the main event loop, so the figure is the
 * mechanism's own cost, not the network's):
 *   transform  the sync transform's shape: the VU's code is async and awaits the request's Promise
 *   atomics    a worker thread per VU whose code really blocks: it posts the request to the main thread and
 *              sleeps in Atomics.wait until the main thread writes the answer and notifies it
 * (A third design, an interpreter per VU that can suspend, e.g. QuickJS in WebAssembly with asyncify, is not
 * installed here and is not measured.)
 *   BENCH_SYNC_VUS (default 64), BENCH_SYNC_SECONDS (default 3)
 */
import { Worker } from 'node:worker_threads';

const vus = Number(process.env.BENCH_SYNC_VUS ?? 64);
const seconds = Number(process.env.BENCH_SYNC_SECONDS ?? 3);

/** The stand-in request: answered on the next turn of the event loop. */
const request = (n: number) => new Promise<number>((resolve) => setImmediate(() => resolve(n + 1)));

async function measureTransform(): Promise<number> {
  let calls = 0;
  const deadline = Date.now() + seconds * 1000;
  // what the transform makes of `for (;;) { const r = http.get(url); }`
  const vu = async () => {
    while (Date.now() < deadline) {
      await request(0);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: vus }, vu));
  return calls / seconds;
}

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.shared);
let calls = 0;
const started = Date.now();
const deadline = started + workerData.seconds * 1000;
while (Date.now() < deadline) {
  Atomics.store(flag, 0, 0);
  parentPort.postMessage(calls);
  Atomics.wait(flag, 0, 0);
  if (Atomics.load(flag, 1) === 1) calls++;
}
parentPort.postMessage({ done: calls, ms: Date.now() - started });
`;

async function measureAtomics(): Promise<{ rate: number; rssMiB: number }> {
  let total = 0;
  let window = 0;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  await Promise.all(
    Array.from({ length: vus }, async () => {
      const shared = new SharedArrayBuffer(8);
      const flag = new Int32Array(shared);
      const worker = new Worker(workerCode, { eval: true, workerData: { shared, seconds } });
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (message: number | { done: number; ms: number }) => {
          if (typeof message === 'object') {
            total += message.done;
            window = Math.max(window, message.ms);
            resolve();
            return;
          }
          void request(message).then((answer) => {
            Atomics.store(flag, 1, answer - message);
            Atomics.store(flag, 0, 1);
            Atomics.notify(flag, 0);
          });
        });
        worker.on('error', reject);
      });
      await worker.terminate();
    }),
  );
  clearInterval(sampler);
  return { rate: total / (window / 1000), rssMiB: peakRss / 1024 / 1024 };
}

const rssBefore = process.memoryUsage().rss;
const transform = await measureTransform();
const rssTransform = process.memoryUsage().rss;
const atomics = await measureAtomics();
process.stdout.write(
  `${vus} VUs, ${seconds}s each, blocking calls per second (stand-in request, one event loop):\n`,
);
process.stdout.write(
  `transform (await)            ${transform.toFixed(0).padStart(10)}   RSS ${(Math.max(rssBefore, rssTransform) / 1024 / 1024).toFixed(0)} MiB\n`,
);
process.stdout.write(
  `worker per VU + Atomics.wait ${atomics.rate.toFixed(0).padStart(10)}   peak RSS ${atomics.rssMiB.toFixed(0)} MiB\n`,
);
process.stdout.write(`ratio transform/atomics: ${(transform / atomics.rate).toFixed(1)}\n`);
