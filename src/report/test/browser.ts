/** Test helper: renders a report file in headless Chromium with every non-file, non-data request blocked and recorded. */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.PREFLIGHT_CHROMIUM ?? '/usr/bin/chromium';

export interface RenderedReport {
  consoleErrors: string[];
  /** Requests the page tried to make to anything but file: and data: (blocked). */
  networkRequests: string[];
  /** Per chart (div.chart canvas, svg.bars): its id, its painted pixels and its coloured ones (data, not axes or grid). */
  charts: Array<{ id: string; drawnPixels: number; coloredPixels: number }>;
  /** Step ids in page order with their status. */
  steps: Array<{ id: string; status: string }>;
  renderMs: number;
  text: string;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the report browser tests need it (apt-get install chromium, as .ci/run does; or set PREFLIGHT_CHROMIUM)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

export async function renderReport(
  browser: Browser,
  htmlPath: string,
  screenshot?: string,
): Promise<RenderedReport> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const networkRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    networkRequests.push(url);
    return route.abort();
  });
  try {
    const started = performance.now();
    await page.goto(pathToFileURL(htmlPath).toString(), { waitUntil: 'load' });
    await page.waitForFunction('document.body.hasAttribute("data-charts-drawn")', undefined, {
      timeout: 30_000,
    });
    const renderMs = performance.now() - started;
    const charts = (await page.evaluate(MEASURE_CHARTS)) as RenderedReport['charts'];
    const steps = (await page.evaluate(LIST_STEPS)) as RenderedReport['steps'];
    const text = (await page.evaluate('document.body.innerText')) as string;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, networkRequests, charts, steps, renderMs, text };
  } finally {
    await context.close();
  }
}

// In-page code (plain JavaScript strings: the test's TypeScript has no DOM types)
const COUNT_PIXELS = `function countPixels(ctx, w, h) {
  var d = ctx.getImageData(0, 0, w, h).data, drawn = 0, colored = 0;
  for (var i = 0; i < d.length; i += 4) {
    if (d[i + 3] === 0) continue;
    drawn++;
    if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) colored++;
  }
  return { drawn: drawn, colored: colored };
}`;

const MEASURE_CHARTS = `(async function () {
  ${COUNT_PIXELS}
  var result = [];
  document.querySelectorAll('div.chart').forEach(function (el) {
    var canvas = el.querySelector('canvas');
    var n = canvas ? countPixels(canvas.getContext('2d'), canvas.width, canvas.height) : { drawn: 0, colored: 0 };
    result.push({ id: el.id, drawnPixels: n.drawn, coloredPixels: n.colored });
  });
  for (var svg of Array.from(document.querySelectorAll('svg.bars'))) {
    var box = svg.getBoundingClientRect();
    var img = new Image(Math.max(1, Math.round(box.width)), Math.max(1, Math.round(box.height)));
    await new Promise(function (resolve, reject) {
      img.onload = resolve;
      img.onerror = function () { reject(new Error('svg did not load')); };
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    });
    var canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    var ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, img.width, img.height);
    var n = countPixels(ctx, canvas.width, canvas.height);
    result.push({ id: svg.id, drawnPixels: n.drawn, coloredPixels: n.colored });
  }
  return result;
})()`;

const LIST_STEPS = `Array.from(document.querySelectorAll('section.step[data-status]')).map(function (s) {
  return { id: s.id, status: s.getAttribute('data-status') || '' };
})`;
