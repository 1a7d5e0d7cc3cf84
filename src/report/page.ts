/** The page shell: inlined uPlot (script and style), the report's CSS (screen and print), data and sections. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSpec } from './charts.js';
import { esc } from './html-kit.js';
import { pageScript } from './page-script.js';

export interface PageHeader {
  title: string;
  ready: boolean;
  verdictText: string;
  /** Label/value pairs under the verdict (target, time, version, commit). */
  facts: Array<[string, string]>;
}

const require = createRequire(import.meta.url);

function readUplot(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

const CSS = `
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--pass:#15803d;--fail:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0;padding:24px;max-width:1180px;margin:auto}
header.verdict{border-left:8px solid var(--fail);padding:12px 18px;background:#fef2f2;margin-bottom:18px}
header.verdict.ready{border-color:var(--pass);background:#f0fdf4}
header.verdict h1{margin:0 0 4px;font-size:26px}
.facts{display:flex;flex-wrap:wrap;gap:4px 18px;color:var(--muted)}
.facts b{color:var(--fg);font-weight:600}
nav.toc{margin:10px 0 18px}
nav.toc a{margin-right:12px}
section.step{border:1px solid var(--line);border-radius:6px;padding:10px 16px;margin:14px 0;break-inside:auto}
section.step.fail{border-color:#fca5a5}
section.step h2{font-size:18px;margin:4px 0 8px}
section.step h2 small{color:var(--muted);font-weight:400;font-size:13px}
h3{font-size:16px;margin:16px 0 6px}
h4{font-size:14px;margin:14px 0 6px}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:1px 7px;border-radius:4px;color:#fff;background:var(--muted);vertical-align:2px}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.not-run{background:var(--warn)}
.reason{color:var(--fail);font-weight:500}
.muted,.not-recorded{color:var(--muted)}
.not-recorded{font-style:italic;border:1px dashed var(--line);padding:8px;border-radius:4px}
.bad{color:var(--fail)}
table{border-collapse:collapse;margin:6px 0;font-size:13px;width:100%}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}
.figures{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.figure{border:1px solid var(--line);border-radius:4px;padding:6px 10px;min-width:130px}
.figure span{display:block;color:var(--muted);font-size:12px}
.charts{display:flex;flex-direction:column;gap:8px}
.chart{width:100%;min-height:240px}
pre.evidence{background:#f9fafb;border:1px solid var(--line);padding:8px;overflow:auto;max-height:260px;font-size:12px;white-space:pre-wrap}
details.finding{border-left:4px solid var(--warn);padding:4px 10px;margin:6px 0}
details.finding.critical,details.finding.high{border-color:var(--fail)}
.sev{font-weight:700;text-transform:uppercase;font-size:11px}
svg.bars{max-width:100%;height:auto;display:block}
svg.bars text{font:12px sans-serif;fill:var(--fg)}
svg.bars rect.bar{fill:#2563eb}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media print{
  body{padding:0;max-width:none;font-size:11px}
  nav.toc{display:none}
  section.step{break-inside:avoid-page;border-color:#999}
  .chart,.uplot{break-inside:avoid}
  details.finding{break-inside:avoid}
  pre.evidence{max-height:none}
  a{color:inherit;text-decoration:none}
}
`;

/** One self-contained HTML file: no external script, style, font or image. */
export function renderPage(
  header: PageHeader,
  bodyHtml: string,
  charts: ChartSpec[],
  toc: Array<[string, string]> = [],
): string {
  const uplot = readUplot();
  // </script> and <!-- cannot end or confuse the data block: every < is escaped in the JSON
  const data = JSON.stringify({ charts }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(header.title)}</title>
<style>${uplot.css}</style><style>${CSS}</style></head>
<body>
<header class="verdict${header.ready ? ' ready' : ''}"><h1>${esc(header.verdictText)}</h1><div class="facts">${header.facts
    .map(([k, v]) => `<span>${esc(k)}: <b>${esc(v)}</b></span>`)
    .join('')}</div></header>
${toc.length ? `<nav class="toc">${toc.map(([id, label]) => `<a href="#${esc(id)}">${esc(label)}</a>`).join('')}</nav>` : ''}
<main>${bodyHtml}</main>
<footer>Built by preflight. Charts: uPlot, inlined; this file makes no network requests.</footer>
<script type="application/json" id="report-data">${data}</script>
<script>${uplot.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${pageScript}</script>
</body></html>
`;
}
