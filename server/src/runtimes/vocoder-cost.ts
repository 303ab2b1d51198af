// What one vocoder call costs on this machine, learned from the calls themselves: a fixed part (graph launch, the
// iSTFT's edges) and a part per unit (frames to synthesise). Seeded at start-up from two warm-up calls of different
// sizes, then updated online from every call's measured run time, so the estimate follows the machine's real speed
// (a slower core, another process taking a share of it) rather than a figure fixed in code.

/** Weight of a new observation in the running per-unit estimate. */
const LEARNING_RATE = 0.2;

export class VocoderCostModel {
  private fixedMs: number;
  private perUnitMs: number;
  private observed = 0;

  /** Seeds from two timed calls: `small` and `large` units, run in `smallMs` and `largeMs`. */
  constructor(seed: { smallUnits: number; smallMs: number; largeUnits: number; largeMs: number }) {
    const span = Math.max(1, seed.largeUnits - seed.smallUnits);
    this.perUnitMs = Math.max(0.01, (seed.largeMs - seed.smallMs) / span);
    this.fixedMs = Math.max(0, seed.smallMs - this.perUnitMs * seed.smallUnits);
  }

  /** Calls observed since start-up (the seed excluded). */
  get observations(): number {
    return this.observed;
  }

  /** Run time of one call of `units` units, ms (no queueing). */
  runMs(units: number): number {
    return this.fixedMs + this.perUnitMs * units;
  }

  /** A call of `units` ran in `ms`: moves the per-unit estimate toward what it showed. */
  observe(units: number, ms: number): void {
    if (!(units > 0) || !(ms >= 0)) return;
    this.observed++;
    const perUnit = Math.max(0.01, (ms - this.fixedMs) / units);
    this.perUnitMs += LEARNING_RATE * (perUnit - this.perUnitMs);
  }
}
