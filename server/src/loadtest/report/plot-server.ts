// The gateway process over the run: CPU (all its threads, 100 % = one core) and event-loop delay p99 (right
// axis): is the machine saturated, and is the loop that paces every caller's audio being held up?
import type { ServerSample } from '../records.ts';
import { COLORS, DEFAULT_FRAME, emptyPlot, legend, linear, niceMax, path, svgOpen, ticks, xAxis, yAxisLeft, yAxisRight } from './svg.ts';

export function serverSvg(samples: readonly ServerSample[], endMs: number, cores: number, problem: string | null): string {
  const f = DEFAULT_FRAME;
  if (samples.length === 0) return emptyPlot(f, 'server CPU', `no server metrics: ${problem ?? 'none sampled'}`);
  const endS = Math.max(1, endMs / 1000, ...samples.map((s) => s.atMs / 1000));
  const x = linear([0, endS], [f.left, f.width - f.right]);
  const cpuTop = niceMax(Math.max(100 * cores, ...samples.map((s) => s.cpuPercent)), 5);
  const y = linear([0, cpuTop], [f.height - f.bottom, f.top]);
  const lagTop = niceMax(Math.max(10, ...samples.map((s) => s.eventLoopP99Ms)), 4);
  const l = linear([0, lagTop], [f.height - f.bottom, f.top]);
  const cpuPts = samples.map((s) => [x(s.atMs / 1000), y(s.cpuPercent)] as [number, number]);
  const first = cpuPts[0];
  const last = cpuPts.at(-1);
  const area = first && last ? `<path d="${path(cpuPts)}L${last[0].toFixed(1)},${y(0).toFixed(1)}L${first[0].toFixed(1)},${y(0).toFixed(1)}Z" fill="${COLORS.accentSoft}" fill-opacity="0.6"/>` : '';
  const cpuLine = `<path d="${path(cpuPts)}" fill="none" stroke="${COLORS.accent}" stroke-width="1.8"/>`;
  const lagLine = `<path d="${path(samples.map((s) => [x(s.atMs / 1000), l(s.eventLoopP99Ms)]))}" fill="none" stroke="${COLORS.warn}" stroke-width="1.5" stroke-dasharray="5 3"/>`;
  const capY = y(100 * cores).toFixed(1);
  const cap = `<line x1="${f.left}" x2="${f.width - f.right}" y1="${capY}" y2="${capY}" stroke="${COLORS.ink}" stroke-opacity="0.5" stroke-dasharray="2 3"/><text x="${f.left + 4}" y="${capY}" dy="-4" fill="${COLORS.muted}">${cores} core${cores === 1 ? '' : 's'} = ${100 * cores}%</text>`;
  const key = legend(f, [
    { swatch: `<line x1="1" x2="17" y1="6" y2="6" stroke="${COLORS.accent}" stroke-width="2"/>`, label: 'CPU %' },
    { swatch: `<line x1="1" x2="17" y1="6" y2="6" stroke="${COLORS.warn}" stroke-width="2" stroke-dasharray="5 3"/>`, label: 'event-loop delay p99' },
  ]);
  return (
    svgOpen(f, 'server CPU and event-loop delay over time') +
    yAxisLeft(f, y, ticks(0, cpuTop, 5), 'gateway CPU (% of one core)', COLORS.accent) +
    yAxisRight(f, l, ticks(0, lagTop, 4), 'event-loop delay p99 (ms)', COLORS.warn) +
    xAxis(f, x, ticks(0, endS, 8), 'time since the start of the run (s)') +
    area +
    cpuLine +
    lagLine +
    cap +
    key +
    '</svg>'
  );
}
