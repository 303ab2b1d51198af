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
