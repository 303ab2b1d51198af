// TTFA over the run, one dot per turn (green: right answer, amber: wrong, red: failed), against the number of
// callers in a call (shaded steps, right axis): does waiting grow with load?
import type { ActivitySample, TurnRecord } from '../records.ts';
import { COLORS, DEFAULT_FRAME, emptyPlot, esc, legend, linear, niceMax, path, svgOpen, ticks, xAxis, yAxisLeft, yAxisRight } from './svg.ts';

export function ttfaTimelineSvg(turns: readonly TurnRecord[], activity: readonly ActivitySample[], targetMs: number): string {
  const f = DEFAULT_FRAME;
  if (turns.length === 0) return emptyPlot(f, 'TTFA over time', 'no turns');
  const endS = Math.max(1, ...activity.map((a) => a.atMs / 1000), ...turns.map((t) => t.endOfAudioAtMs / 1000));
  const x = linear([0, endS], [f.left, f.width - f.right]);
  const ttfas = turns.flatMap((t) => (t.ttfaMs === null ? [] : [t.ttfaMs]));
  const yTop = niceMax(Math.max(targetMs * 1.2, ...ttfas), 5);
  const y = linear([0, yTop], [f.height - f.bottom, f.top]);
  // Headroom above the peak, so the callers' steps stay below the legend and the dots stay readable.
  const cTop = niceMax(Math.max(1, ...activity.map((a) => a.activeCallers)) * 1.3, 4);
  const c = linear([0, cTop], [f.height - f.bottom, f.top]);

  // Callers as a step area under everything else.
  const steps: [number, number][] = [];
  let prev = 0;
  for (const a of activity) {
    steps.push([x(a.atMs / 1000), c(prev)], [x(a.atMs / 1000), c(a.activeCallers)]);
    prev = a.activeCallers;
  }
  const area = steps.length === 0 ? '' : `<path d="${path([[x(0), c(0)], ...steps, [x(endS), c(prev)], [x(endS), c(0)]])}Z" fill="${COLORS.area}" fill-opacity="0.7" stroke="none"/><path d="${path([[x(0), c(0)], ...steps, [x(endS), c(prev)]])}" fill="none" stroke="${COLORS.areaLine}" stroke-width="1.2"/>`;

  const dots = turns.map((t) => {
    const px = x(t.endOfAudioAtMs / 1000).toFixed(1);
    const failed = t.outcome !== 'done' && t.outcome !== 'interrupted';
    const tip = `<title>${esc(`caller ${t.callerId} · ${t.utteranceId} · ${t.ttfaMs === null ? 'no audio' : `${Math.round(t.ttfaMs)} ms`} · ${t.outcome}${t.error ? ` ${t.error.code}` : ''}`)}</title>`;
    if (failed || t.ttfaMs === null) {
      return `<path d="M${px},${f.top + 2}l-4,-4m4,4l4,-4m-4,4l-4,4m4,-4l4,4" transform="translate(0 6)" stroke="${COLORS.bad}" stroke-width="1.8">${tip}</path>`;
    }
    const ok = t.bargedIn ? t.transcriptOk : t.transcriptOk && t.answerOk;
    const color = ok ? COLORS.good : COLORS.warn;
    return `<circle cx="${px}" cy="${y(Math.min(t.ttfaMs, yTop)).toFixed(1)}" r="3.2" fill="${color}" fill-opacity="0.8" stroke="white" stroke-width="0.6">${tip}</circle>`;
  });
  const ty = y(targetMs).toFixed(1);
  const target = `<line x1="${f.left}" x2="${f.width - f.right}" y1="${ty}" y2="${ty}" stroke="${COLORS.bad}" stroke-dasharray="5 4"/><text x="${f.left + 4}" y="${ty}" dy="-4" fill="${COLORS.bad}">target ${targetMs} ms</text>`;
  const key = legend(f, [
    { swatch: `<circle cx="9" cy="6" r="3.5" fill="${COLORS.good}"/>`, label: 'right' },
    { swatch: `<circle cx="9" cy="6" r="3.5" fill="${COLORS.warn}"/>`, label: 'wrong' },
    { swatch: `<path d="M5,2l8,8m0,-8l-8,8" stroke="${COLORS.bad}" stroke-width="1.8"/>`, label: 'failed (no audio)' },
    { swatch: `<rect x="2" y="1" width="14" height="10" fill="${COLORS.area}" stroke="${COLORS.areaLine}"/>`, label: 'callers in a call' },
  ]);
  return (
    svgOpen(f, 'TTFA over time against active callers') +
    area +
    yAxisLeft(f, y, ticks(0, yTop, 5), 'TTFA (ms)') +
    yAxisRight(f, c, ticks(0, cTop, 4).filter((v) => Number.isInteger(v)), 'callers in a call', COLORS.areaLine) +
    xAxis(f, x, ticks(0, endS, 8), 'time since the start of the run (s)') +
    target +
    dots.join('') +
    key +
    '</svg>'
  );
}
