// Just enough SVG for the report's plots: linear scales, round tick values, axes with grid lines. Every plot is
// a string of inline SVG, so the page needs no script and no network.

export const COLORS = {
  ink: '#1f2937',
  muted: '#6b7280',
  grid: '#e5e7eb',
  accent: '#2563eb',
  accentSoft: '#bfdbfe',
  good: '#059669',
  warn: '#d97706',
  bad: '#dc2626',
  area: '#e0e7ff',
  areaLine: '#6366f1',
} as const;

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The top margin holds the legend, so nothing drawn in the plot hides under it. */
export const DEFAULT_FRAME: Frame = { width: 760, height: 280, left: 58, right: 58, top: 30, bottom: 42 };

/** A one-line legend right-aligned in the top margin; each item a swatch (SVG at 0..18 × 0..12) and a label. */
export function legend(f: Frame, items: { swatch: string; label: string }[]): string {
  const widths = items.map((i) => 38 + i.label.length * 6.4);
  let x = f.width - f.right - widths.reduce((a, b) => a + b, 0);
  const parts = items.map((item, k) => {
    const g = `<g transform="translate(${x.toFixed(1)} 6)">${item.swatch}<text x="23" y="6" dy="0.32em" fill="${COLORS.ink}">${esc(item.label)}</text></g>`;
    x += widths[k] ?? 0;
    return g;
  });
  return parts.join('');
}

export type Scale = (v: number) => number;

export function linear(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9 && out.length < 50; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/** The top of an axis: the next tick value at or above max. */
export function niceMax(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const t = ticks(0, max, count);
  const last = t.at(-1) ?? max;
  const step = t.length > 1 ? (t[1] ?? 0) - (t[0] ?? 0) : max;
  return last >= max ? last : last + step;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k`.replace('.0k', 'k') : String(Math.round(v * 100) / 100);
}

export function svgOpen(f: Frame, label: string): string {
  return `<svg viewBox="0 0 ${f.width} ${f.height}" width="100%" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`;
}

/** Horizontal grid lines with left-axis labels, and an axis title. */
export function yAxisLeft(f: Frame, y: Scale, values: number[], title: string, color: string = COLORS.muted): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const lines = values.map((v) => {
    const py = y(v).toFixed(1);
    return `<line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="${COLORS.grid}"/><text x="${x0 - 6}" y="${py}" dy="0.32em" text-anchor="end" fill="${color}">${fmt(v)}</text>`;
  });
  const midY = (f.top + f.height - f.bottom) / 2;
  return `${lines.join('')}<text transform="translate(14 ${midY}) rotate(-90)" text-anchor="middle" fill="${color}" font-size="11.5">${esc(title)}</text>`;
}

export function yAxisRight(f: Frame, y: Scale, values: number[], title: string, color: string): string {
  const x1 = f.width - f.right;
  const labels = values.map((v) => `<text x="${x1 + 6}" y="${y(v).toFixed(1)}" dy="0.32em" fill="${color}">${fmt(v)}</text>`);
  const midY = (f.top + f.height - f.bottom) / 2;
  return `${labels.join('')}<text transform="translate(${f.width - 12} ${midY}) rotate(90)" text-anchor="middle" fill="${color}" font-size="11.5">${esc(title)}</text>`;
}

export function xAxis(f: Frame, x: Scale, values: number[], title: string, label: (v: number) => string = fmt): string {
  const y0 = f.height - f.bottom;
  const marks = values.map((v) => {
    const px = x(v).toFixed(1);
    return `<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 4}" stroke="${COLORS.muted}"/><text x="${px}" y="${y0 + 16}" text-anchor="middle" fill="${COLORS.muted}">${esc(label(v))}</text>`;
  });
  const axis = `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y0}" y2="${y0}" stroke="${COLORS.muted}"/>`;
  const mid = (f.left + f.width - f.right) / 2;
  return `${axis}${marks.join('')}<text x="${mid}" y="${f.height - 6}" text-anchor="middle" fill="${COLORS.muted}" font-size="11.5">${esc(title)}</text>`;
}

/** A polyline path through points (NaN points break the line). */
export function path(points: readonly (readonly [number, number])[]): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The message shown in place of a plot that has nothing to draw. */
export function emptyPlot(f: Frame, label: string, message: string): string {
  return `${svgOpen(f, label)}<rect x="${f.left}" y="${f.top}" width="${f.width - f.left - f.right}" height="${f.height - f.top - f.bottom}" fill="#f9fafb" stroke="${COLORS.grid}"/><text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" fill="${COLORS.muted}" font-size="13">${esc(message)}</text></svg>`;
}
