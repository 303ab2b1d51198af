// The slow-consumer policy for one connection's send buffer (ws bufferedAmount):
//   at or below the cap      → send everything;
//   above the cap            → drop audio frames (text events still go: they are small and carry state);
//   above for graceMs, or above twice the cap → disconnect with SLOW_CONSUMER.
// The kernel buffers tens of seconds of audio before bufferedAmount grows, so crossing the cap means the caller
// has stopped reading; the grace absorbs a short network stall.

export type BufferVerdict = 'ok' | 'drop-audio' | 'disconnect';

export class SendBufferGuard {
  private overSinceMs: number | undefined;
  peakBytes = 0;

  constructor(
    readonly capBytes: number,
    readonly graceMs: number,
  ) {}

  check(bufferedBytes: number, nowMs: number): BufferVerdict {
    if (bufferedBytes > this.peakBytes) this.peakBytes = bufferedBytes;
    if (bufferedBytes > 2 * this.capBytes) return 'disconnect';
    if (bufferedBytes <= this.capBytes) {
      this.overSinceMs = undefined;
      return 'ok';
    }
    this.overSinceMs ??= nowMs;
    return nowMs - this.overSinceMs >= this.graceMs ? 'disconnect' : 'drop-audio';
  }
}
