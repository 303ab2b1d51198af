// How long one generated token takes on this machine at a given load (sequences generating at once), learned:
// seeded at start-up from a short timed generation, then updated from every token any sequence generates. Loads
// not yet seen borrow the nearest lighter one's figure scaled by the load ratio (no batching gain assumed): a
// prudent guess that the first tokens at that load replace.

/** Tokens timed at start-up to seed the pace model (and to warm the runtime up). */
export const CALIBRATION_TOKENS = 24;

/** Weight of a new token interval in its load's running estimate. */
const LEARNING_RATE = 0.05;
/** Intervals longer than this are a stalled consumer or a paused process, not the model's pace. */
const MAX_INTERVAL_MS = 2_000;

/** Prefill's ms per token over a decode step's, before prefill is timed: one-sequence prefill ran 0.18× (187 against
 * 1,065 µs per token) on the project's machine; a quarter is the prudent side. */
const PREFILL_OVER_DECODE = 0.25;
/** Tokens prefilled in one timed batch at start-up. */
export const PREFILL_CALIBRATION_TOKENS = 64;

/** Load buckets: 1, 2, 3–4, 5–8, … (powers of two). */
function bucketOf(load: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, load))));
}

export class LmPace {
  /** Per bucket: ms per token, undefined until seen. */
  private readonly msPerToken: (number | undefined)[] = [];
  private prefillMs: number | undefined;

  constructor(seedMsPerToken: number) {
    this.msPerToken[0] = Math.max(0.01, seedMsPerToken);
  }

  /** Sets the lightest load's figure outright (a start-up measurement). */
  seed(msPerToken: number): void {
    if (msPerToken > 0) this.msPerToken[0] = msPerToken;
  }

  /** Sets prefill's ms per token (a start-up measurement of one batch). */
  seedPrefill(msPerToken: number): void {
    if (msPerToken > 0) this.prefillMs = msPerToken;
  }

  /** Predicted ms a prefill token adds to the batch it is in. */
  get prefillMsPerToken(): number {
    return this.prefillMs ?? (this.msPerToken[0] ?? 1) * PREFILL_OVER_DECODE;
  }

  /** Predicted ms per token for one sequence while `load` sequences generate. */
  msPerTokenAt(load: number): number {
    const b = bucketOf(load);
    const own = this.msPerToken[b];
    if (own !== undefined) return own;
    for (let lower = b - 1; lower >= 0; lower--) {
      const known = this.msPerToken[lower];
      if (known !== undefined) return known * 2 ** (b - lower);
    }
    return this.msPerToken[0] ?? 1;
  }

  /** One sequence took `intervalMs` for a token while `load` sequences generated. */
  observe(load: number, intervalMs: number): void {
    if (!(intervalMs > 0) || intervalMs > MAX_INTERVAL_MS) return;
    const b = bucketOf(load);
    const prev = this.msPerToken[b];
    this.msPerToken[b] = prev === undefined ? intervalMs : prev + LEARNING_RATE * (intervalMs - prev);
  }
}
