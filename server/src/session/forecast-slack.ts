// How late the engine's own forecasts of chunk readiness run on this machine, learned from every answer: each time a
// chunk arrives, its lateness against the forecast made when the previous one arrived is observed. The playout start
// adds this slack to its forecasts, so a machine whose timing is noisier (a busy neighbour, a slower core, event-loop
// lateness) starts answers with proportionally more audio in hand, and a quiet one with less.

/** Weight of a new observation in the running mean and deviation. */
const LEARNING_RATE = 0.1;
/**
 * Mean absolute deviations above the mean lateness covered: about the 90th percentile of a roughly normal spread
 * (1.5 × 0.8 σ). Before answers cut chunks early when their audio would run dry, a chunk later than the slack was a gap
 * the caller heard, and 3 (the 99th) was needed (17 underruns over three `bench/capacity.ts` runs of 4–12 callers at
 * 1.5, two at 3); now a late chunk is cut instead, and the smaller slack only shortens the start's hold
 * (docs/loadtest.md, "Cutting a chunk early").
 */
const DEVIATIONS = 1.5;
/** Least slack ever added, ms: timers and the event loop are never exact. */
export const MIN_SLACK_MS = 20;

export class ForecastSlack {
  private meanLateMs = 0;
  private deviationMs = 0;
  private observed = 0;

  get observations(): number {
    return this.observed;
  }

  /** A chunk arrived `lateMs` after its forecast (negative: early). */
  observe(lateMs: number): void {
    if (!Number.isFinite(lateMs)) return;
    this.observed++;
    const rate = Math.max(LEARNING_RATE, 1 / this.observed);
    this.meanLateMs += rate * (lateMs - this.meanLateMs);
    this.deviationMs += rate * (Math.abs(lateMs - this.meanLateMs) - this.deviationMs);
  }

  /** Extra ms to add to a forecast so that it is rarely too early. */
  slackMs(): number {
    return Math.max(MIN_SLACK_MS, this.meanLateMs + DEVIATIONS * this.deviationMs);
  }
}
