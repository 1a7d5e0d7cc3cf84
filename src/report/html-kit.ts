/** Escaping and small HTML pieces shared by the report sections (everything that reaches the page goes through esc). */
import { formatDuration } from '../core/output.js';

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export type Status = 'pass' | 'fail' | 'skip' | 'not-run';

export function badge(status: Status | string): string {
  const label = status === 'not-run' ? 'NOT RUN' : String(status).toUpperCase();
  return `<span class="badge ${esc(status)}">${esc(label)}</span>`;
}

/** A table; cells are HTML already escaped by the caller (use esc). */
export function table(headers: string[], rows: string[][], empty = 'none'): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function notRecorded(what: string): string {
  return `<p class="not-recorded">${esc(what)}: not recorded</p>`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 60_000) return formatDuration(ms);
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}

export function fmtNum(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return String(n);
  // small ratios keep their significant digits (0.0012, not 0.00)
  return Math.abs(n) < 1 ? String(Number(n.toPrecision(Math.max(2, digits)))) : n.toFixed(digits);
}

export function fmtPct(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '-';
  return `${(rate * 100).toFixed(rate < 0.01 && rate > 0 ? 2 : 1)}%`;
}

/** A horizontal bar chart as inline SVG (no script needed, prints as drawn). */
export function svgBars(bars: Array<{ label: string; value: number; text: string }>, id: string): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = 26;
  const width = 760;
  const labelW = 140;
  const barW = width - labelW - 170;
  const rows = bars
    .map((b, i) => {
      const w = Math.max(1, (b.value / max) * barW);
      const y = i * rowH + 4;
      return `<text x="0" y="${y + 15}">${esc(b.label)}</text><rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="18" class="bar" fill="#2563eb"/><text x="${labelW + w + 6}" y="${y + 15}">${esc(b.text)}</text>`;
    })
    .join('');
  return `<svg class="bars" id="${esc(id)}" viewBox="0 0 ${width} ${bars.length * rowH + 8}" width="${width}" height="${bars.length * rowH + 8}" role="img">${rows}</svg>`;
}
