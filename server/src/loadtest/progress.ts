// The live progress line on stderr: redrawn in place on a terminal, one plain line every few seconds otherwise
// (CI logs), never on stdout.
import type { LoadProgress } from './run.ts';
import { percentile } from './stats.ts';

const BAR_CELLS = 24;
const PLAIN_EVERY_MS = 5000;

export function progressLine(p: LoadProgress): string {
  const filled = Math.round(p.fraction * BAR_CELLS);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_CELLS - filled);
  const ttfa = p.turns.flatMap((t) => (t.ttfaMs === null ? [] : [t.ttfaMs]));
  const judged = p.turns.filter((t) => t.outcome === 'done' && !t.bargedIn && t.textCarried !== false);
  const correct = judged.filter((t) => t.transcriptOk && t.answerOk).length;
  const errors = p.failedCalls + p.turns.filter((t) => t.outcome !== 'done' && t.outcome !== 'interrupted').length;
  const underruns = p.turns.reduce((n, t) => n + t.playback.underruns, 0);
  const p95 = ttfa.length === 0 ? '-' : `${Math.round(percentile(ttfa, 95))}`;
  const cpu = p.server === undefined ? '' : `  cpu ${Math.round(p.server.cpuPercent)}%`;
  return (
    `${bar} ${Math.round(p.elapsedMs / 1000)}s  callers ${p.activeCallers}  calls ${p.calls}  turns ${p.turns.length}` +
    `  correct ${correct}/${judged.length}  errors ${errors}  underruns ${underruns}  p95 TTFA ${p95} ms${cpu}`
  );
}

export class ProgressBar {
  private lastPlainMs = -Infinity;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: LoadProgress): void {
    const line = progressLine(p);
    if (this.out.isTTY) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length))}\x1b[K`);
      this.drawn = true;
    } else if (p.elapsedMs - this.lastPlainMs >= PLAIN_EVERY_MS) {
      this.out.write(`${line}\n`);
      this.lastPlainMs = p.elapsedMs;
    }
  }

  /** Leaves the last state on screen and moves to a fresh line. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
