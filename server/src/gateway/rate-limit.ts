// Messages per second per connection, in fixed one-second windows. Over the limit messages are dropped and the
// caller is told once per window; a caller sending more than twice the limit is treated as abusive and closed.

export type RateVerdict = 'ok' | 'limited-first' | 'limited' | 'abusive';

export class FrameRateLimiter {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(readonly maxPerSecond: number) {}

  hit(nowMs: number): RateVerdict {
    if (nowMs - this.windowStartMs >= 1000) {
      this.windowStartMs = nowMs;
      this.count = 0;
    }
    this.count++;
    if (this.count <= this.maxPerSecond) return 'ok';
    if (this.count > 2 * this.maxPerSecond) return 'abusive';
    return this.count === this.maxPerSecond + 1 ? 'limited-first' : 'limited';
  }
}

/**
 * Caller audio may not run much faster than real time: the engine's work per caller is bounded by what one
 * person can say. A token bucket in ms of audio: a burst of burstMs (a client catching up after a stall), then
 * speedup × real time.
 */
export class AudioRateBudget {
  private tokensMs: number;
  private lastMs: number | undefined;

  constructor(
    readonly burstMs = 5_000,
    readonly speedup = 1.5,
  ) {
    this.tokensMs = burstMs;
  }

  /** false: over budget, drop this audio. */
  take(audioMs: number, nowMs: number): boolean {
    if (this.lastMs !== undefined) this.tokensMs = Math.min(this.burstMs, this.tokensMs + (nowMs - this.lastMs) * this.speedup);
    this.lastMs = nowMs;
    if (audioMs > this.tokensMs) return false;
    this.tokensMs -= audioMs;
    return true;
  }
}
