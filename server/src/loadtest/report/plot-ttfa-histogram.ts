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
  // Labels stacked in rows under the top edge (target first), flipped left of their line near the right edge.
  const label = (px: number, row: number, text: string, color: string, weight = '600') => {
    const flip = px > f.left + (f.width - f.left - f.right) * 0.78;
    return `<text x="${px.toFixed(1)}" y="${f.top + 10 + row * 13}" dx="${flip ? -4 : 4}" text-anchor="${flip ? 'end' : 'start'}" fill="${color}" font-weight="${weight}" paint-order="stroke" stroke="white" stroke-width="3">${text}</text>`;
  };
  const lines = marks.map((m, i) => {
    const px = x(m.v);
    return `<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${m.color}" stroke-width="1.2" stroke-dasharray="${i === 0 ? '' : '4 3'}"/>${label(px, i + 1, `${m.label} ${Math.round(m.v)} ms`, m.color)}`;
  });
  const tx = x(targetMs);
  const target = `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${COLORS.bad}" stroke-width="1.5"/>${label(tx, 0, `target ${targetMs} ms`, COLORS.bad, '500')}`;
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
