// TTFA histogram: how long callers waited for the first answer audio, with the percentiles and the target marked.
import { histogram, niceBinWidth, percentile } from '../stats.ts';
import { COLORS, DEFAULT_FRAME, emptyPlot, linear, niceMax, svgOpen, ticks, xAxis, yAxisLeft } from './svg.ts';

export function ttfaHistogramSvg(ttfaMs: readonly number[], targetMs: number): string {
  const f = DEFAULT_FRAME;
  if (ttfaMs.length === 0) return emptyPlot(f, 'TTFA histogram', 'no turn received answer audio');
  const width = niceBinWidth([...ttfaMs, targetMs * 1.1], 32);
  const bins = histogram(ttfaMs, width, 80);
  const xMax = Math.max(bins.at(-1)?.toMs ?? width, targetMs * 1.1);
  const x = linear([0, xMax], [f.left, f.width - f.right]);
  const yTop = niceMax(Math.max(...bins.map((b) => b.count)), 4);
  const y = linear([0, yTop], [f.height - f.bottom, f.top]);
  const bars = bins.map((b) => {
    const x0 = x(b.fromMs) + 0.5;
    const w = Math.max(1, x(b.toMs) - x(b.fromMs) - 1);
    const color = b.fromMs >= targetMs ? COLORS.warn : COLORS.accent;
    return b.count === 0 ? '' : `<rect x="${x0.toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(0) - y(b.count)).toFixed(1)}" fill="${color}" rx="1.5"><title>${b.fromMs}–${Math.round(b.toMs)} ms: ${b.count} turns</title></rect>`;
  });
  const marks = [
    { label: 'p50', v: percentile(ttfaMs, 50), color: COLORS.ink },
    { label: 'p95', v: percentile(ttfaMs, 95), color: COLORS.ink },
    { label: 'p99', v: percentile(ttfaMs, 99), color: COLORS.ink },
  ];
  const lines = marks.map((m, i) => {
    const px = x(m.v).toFixed(1);
    return `<line x1="${px}" x2="${px}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${m.color}" stroke-width="1.2" stroke-dasharray="${i === 0 ? '' : '4 3'}"/><text x="${px}" y="${f.top + 10 + i * 12}" dx="4" fill="${m.color}" font-weight="600">${m.label} ${Math.round(m.v)} ms</text>`;
  });
  const tx = x(targetMs).toFixed(1);
  const target = `<line x1="${tx}" x2="${tx}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${COLORS.bad}" stroke-width="1.5"/><text x="${tx}" y="${f.height - f.bottom - 6}" dx="-4" text-anchor="end" fill="${COLORS.bad}">target ${targetMs} ms</text>`;
  return (
    svgOpen(f, 'TTFA histogram') +
    yAxisLeft(f, y, ticks(0, yTop, 4), 'turns') +
    xAxis(f, x, ticks(0, xMax, 8), 'time to first answer audio (ms), end of the caller’s audio → first frame received') +
    bars.join('') +
    target +
    lines.join('') +
    '</svg>'
  );
}
